import { LabTransport, type LabFaults } from "./lab";
import { LocalTransport } from "./local";
import { SshTransport, type SshOptions } from "./ssh";
import { formatTarget, parseTarget } from "./target";
import type { Transport } from "./transport";

export interface TransportOptions {
  ssh?: SshOptions;
  lab?: LabFaults;
}

/** A transport for a target string (`lab:DIR`, `local`, `ssh://user@host[:port]`). */
export function openTransport(target: string, opts: TransportOptions = {}): Transport {
  const t = parseTarget(target);
  switch (t.kind) {
    case "lab":
      return new LabTransport(t.dir, opts.lab);
    case "local":
      return new LocalTransport();
    case "ssh":
      return new SshTransport(t, formatTarget(t), opts.ssh);
  }
}

export { TransportError, type Transport } from "./transport";
export { SshOptionError, type SshOptions } from "./ssh";
export { TargetError, parseTarget, formatTarget } from "./target";
