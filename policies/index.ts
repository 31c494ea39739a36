import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

new PolicyPack("wsus-iis", {
  description: "KB 920659 and the WSUS IIS layout (and, for specs that opt in, the WSUS IIS health rules), judged on WsusIisLayout / WsusIisServer declarations and the IisSite, VirtualDirectory and DirectoryAcl building blocks, with the same rules as `wsus-iis check`.",
  enforcementLevel: "advisory",
  policies,
});
