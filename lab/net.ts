import { type CommandResult, type LabContext, NL } from "./context";
import { resolveAccount } from "./state";

/**
 * net.exe: `net localgroup`, `net localgroup NAME`, `net localgroup NAME MEMBER… /add|/delete`,
 * `net localgroup NAME /add [/comment:"…"]`, `net localgroup NAME /delete`. Errors as net prints them
 * (`System error N has occurred.` on stderr, exit code 2).
 */

const DASHES = "-".repeat(79);
const DONE = "The command completed successfully.";

function systemError(code: number, text: string): CommandResult {
  return { stdout: "", stderr: `System error ${code} has occurred.${NL}${NL}${text}${NL}${NL}`, exitCode: 2 };
}

function syntax(): CommandResult {
  return {
    stdout: "",
    stderr: [
      "The syntax of this command is:",
      "",
      "NET LOCALGROUP",
      "[groupname [/COMMENT:\"text\"]] [/DOMAIN]",
      "              groupname {/ADD [/COMMENT:\"text\"] | /DELETE}  [/DOMAIN]",
      "              groupname name [...] {/ADD | /DELETE} [/DOMAIN]",
      "",
      "",
    ]
      .map((l) => l + NL)
      .join(""),
    exitCode: 1,
  };
}

export async function net(ctx: LabContext, argv: string[]): Promise<CommandResult> {
  const sub = (argv[0] ?? "").toLowerCase();
  if (sub !== "localgroup") {
    return {
      stdout: "",
      stderr: [
        "The syntax of this command is:",
        "",
        "NET",
        "    [ ACCOUNTS | COMPUTER | CONFIG | CONTINUE | FILE | GROUP | HELP |",
        "      HELPMSG | LOCALGROUP | PAUSE | SESSION | SHARE | START |",
        "      STATISTICS | STOP | TIME | USE | USER | VIEW ]",
        "",
        "",
      ]
        .map((l) => l + NL)
        .join(""),
      exitCode: 1,
    };
  }
  const state = await ctx.state();
  const rest = argv.slice(1);
  const switches = rest.filter((a) => a.startsWith("/"));
  const words = rest.filter((a) => !a.startsWith("/"));
  let add = false;
  let del = false;
  let comment: string | undefined;
  for (const s of switches) {
    const l = s.toLowerCase();
    if (l === "/add") add = true;
    else if (l === "/delete" || l === "/del") del = true;
    else if (l.startsWith("/comment:")) comment = s.slice("/comment:".length);
    else if (l === "/domain") return systemError(1355, "The specified domain either does not exist or could not be contacted.");
    else return syntax();
  }
  if (add && del) return syntax();

  if (words.length === 0) {
    if (add || del) return syntax();
    const out = ["", `Aliases for \\\\${state.computerName.toUpperCase()}`, "", DASHES];
    for (const g of Object.keys(state.groups).sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase()))) out.push(`*${g}`);
    out.push(DONE, "");
    return { stdout: out.map((l) => l + NL).join(""), stderr: "", exitCode: 0 };
  }

  const groupName = words[0];
  const key = Object.keys(state.groups).find((g) => g.toLowerCase() === groupName.toLowerCase());
  const members = words.slice(1);

  if (members.length === 0) {
    if (add) {
      if (key || resolveAccount(state, groupName)) return systemError(1379, "The specified local group already exists.");
      state.groups[groupName] = { comment: comment ?? "", members: [] };
      ctx.markDirty();
      return { stdout: DONE + NL + NL, stderr: "", exitCode: 0 };
    }
    if (!key) return systemError(1376, "The specified local group does not exist.");
    if (del) {
      delete state.groups[key];
      ctx.markDirty();
      return { stdout: DONE + NL + NL, stderr: "", exitCode: 0 };
    }
    if (comment !== undefined) {
      state.groups[key].comment = comment;
      ctx.markDirty();
      return { stdout: DONE + NL + NL, stderr: "", exitCode: 0 };
    }
    const g = state.groups[key];
    const out = [`Alias name     ${key}`, `Comment        ${g.comment}`, "", "Members", "", DASHES, ...g.members, DONE, ""];
    return { stdout: out.map((l) => l + NL).join(""), stderr: "", exitCode: 0 };
  }

  if (!add && !del) return syntax();
  if (!key) return systemError(1376, "The specified local group does not exist.");
  const group = state.groups[key];
  // resolve all first: net changes nothing when one name is unknown
  const resolved = [];
  for (const m of members) {
    const acc = resolveAccount(state, m);
    if (!acc) return systemError(1332, "No mapping between account names and security IDs was done.");
    resolved.push(acc);
  }
  const sidOfMember = (name: string) => resolveAccount(state, name)?.sid ?? name.toLowerCase();
  for (const acc of resolved) {
    const present = group.members.some((x) => sidOfMember(x) === acc.sid);
    if (add) {
      if (present) return systemError(1378, "The specified account name is already a member of the group.");
      // local groups cannot contain local groups
      if (acc.kind === "builtin-group" || acc.kind === "group") {
        return systemError(1388, "A new member could not be added to a local group because the member has the wrong account type.");
      }
      group.members.push(acc.memberName);
    } else {
      if (!present) return systemError(1377, "The specified account name is not a member of the group.");
      group.members = group.members.filter((x) => sidOfMember(x) !== acc.sid);
    }
    ctx.markDirty();
  }
  return { stdout: DONE + NL + NL, stderr: "", exitCode: 0 };
}
