import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import * as mod from "../provider";
import { STUB_PROVIDER_TEXT, stubProviderSerialization } from "./harness/stubSerialize";

/**
 * WsusIisServer under pulumi.runtime.setMocks inside vitest (how components/ tests use it): the type
 * token, the inputs the engine would get, credentials as a secret, and declared outputs that resolve.
 * Serialization itself is stubbed here (it cannot run inside vitest); provider-serialize.test.ts runs the real one.
 */

const registered: pulumi.runtime.MockResourceArgs[] = [];
pulumi.runtime.setMocks(
  {
    newResource(args) {
      registered.push(args);
      const state = { ...args.inputs, compliant: true, findings: [], appliedCommands: ["appcmd …"], configHash: "a".repeat(64), status: "applied" };
      return { id: String(args.inputs.target), state };
    },
    call: (args) => args.inputs,
  },
  "proj",
  "dev",
  false,
);

const value = <T>(o: pulumi.Output<T>): Promise<T> => new Promise((resolve) => o.apply((v) => (resolve(v), v)));

// Before the first WsusIisServer is constructed (importing the class creates nothing).
beforeAll(() => stubProviderSerialization());

describe("WsusIisServer under setMocks", () => {
  it("registers pulumi-nodejs:dynamic/wsus-iis:WsusIisServer with its inputs; outputs resolve", async () => {
    const srv = new mod.WsusIisServer("wsus01", {
      spec: { configuration: 2 },
      target: "ssh://admin@wsus01",
      credentials: { sshIdentity: "/keys/wsus" },
      removeOnDelete: true,
    });
    expect(await value(srv.compliant)).toBe(true);
    expect(await value(srv.status)).toBe("applied");
    expect(await value(srv.appliedCommands)).toEqual(["appcmd …"]);
    expect(await value(srv.id)).toBe("ssh://admin@wsus01");
    expect(await value(srv.urn)).toBe(`urn:pulumi:dev::proj::${mod.WSUS_IIS_SERVER_TYPE}::wsus01`);
    const reg = registered.find((r) => r.name === "wsus01")!;
    expect(reg.type).toBe("pulumi-nodejs:dynamic/wsus-iis:WsusIisServer");
    expect(reg.inputs).toMatchObject({ spec: { configuration: 2 }, target: "ssh://admin@wsus01", removeOnDelete: true, __provider: STUB_PROVIDER_TEXT });
    // credentials stay a secret output
    expect(await (srv.credentials as unknown as { isSecret: Promise<boolean> }).isSecret).toBe(true);
    expect(await (srv.compliant as unknown as { isSecret: Promise<boolean> }).isSecret).toBe(false);
  });

  it("without credentials nothing secret is registered", async () => {
    const srv = new mod.WsusIisServer("lab", { spec: {}, target: "lab:/tmp/x" });
    await value(srv.urn);
    const reg = registered.find((r) => r.name === "lab")!;
    expect(reg.inputs.credentials).toBeUndefined();
  });
});
