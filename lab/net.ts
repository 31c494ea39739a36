import { type CommandResult, type LabContext, NL } from "./context";
import { type Locale, localeOf, localGroupName, msg } from "./locale";
import { displayMember, isBuiltinGroup, type LabState, resolveAccount, resolveInternal } from "./state";

/**
 * net.exe: `net localgroup`, `net localgroup NAME`, `net localgroup NAME MEMBER… /add|/delete`,
 * `net localgroup NAME /add [/comment:"…"]`, `net localgroup NAME /delete`. Errors as net prints them
 * (`System error N has occurred.` on stderr, exit code 2).
 *
 * Group and member names are printed and accepted in the lab's locale (lab/locale.ts): on a de-DE
 * lab the builtin group Users is `Benutzer` and `net localgroup Users` fails with 1376, as on a
 * German Windows. lab.json keeps the canonical English group keys and member names. The listing
 * headers (`Alias name`, `Comment`, `Members`, `Aliases for`), the group comments, the syntax text
 * and errors other than 1332/1376 stay English: unverified, no source found (see lab/README.md
 * "Localization").
 */

const DASHES = "-".repeat(79);

function systemError(locale: Locale, code: number, text: string): CommandResult {
  return { stdout: "", stderr: `${msg(locale, "systemError", code)}${NL}${NL}${text}${NL}${NL}`, exitCode: 2 };
}

/** The name `net localgroup` shows for a group key of lab.json (builtin groups localized). */
function groupDisplayName(state: LabState, key: string): string {
  return isBuiltinGroup(key) ? localGroupName(localeOf(state), key) : key;
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
  const locale = localeOf(state);
  const DONE = msg(locale, "commandCompleted");
  const fail = (code: number, text: string) => systemError(locale, code, text);
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
    // unverified: no source found for a localized 1355 text (see lab/README.md "Localization")
    else if (l === "/domain") return fail(1355, "The specified domain either does not exist or could not be contacted.");
    else return syntax();
  }
  if (add && del) return syntax();

  if (words.length === 0) {
    if (add || del) return syntax();
    const out = ["", `Aliases for \\\\${state.computerName.toUpperCase()}`, "", DASHES];
    const names = Object.keys(state.groups).map((g) => groupDisplayName(state, g));
    for (const g of names.sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase()))) out.push(`*${g}`);
    out.push(DONE, "");
    return { stdout: out.map((l) => l + NL).join(""), stderr: "", exitCode: 0 };
  }

  const groupName = words[0];
  // matched by the name the lab's locale gives the group (`Benutzer` for the key `Users` on a de-DE lab)
  const key = Object.keys(state.groups).find((g) => groupDisplayName(state, g).toLowerCase() === groupName.toLowerCase());
  const members = words.slice(1);

  if (members.length === 0) {
    if (add) {
      // a new group may not take the English key of a builtin group either: lab.json stores builtin groups under it
      const clash = Object.keys(state.groups).some((g) => g.toLowerCase() === groupName.toLowerCase()) || isBuiltinGroup(groupName);
      // unverified: no source found for a localized 1379 text (see lab/README.md "Localization")
      if (key || clash || resolveAccount(state, groupName)) return fail(1379, "The specified local group already exists.");
      state.groups[groupName] = { comment: comment ?? "", members: [] };
      ctx.markDirty();
      return { stdout: DONE + NL + NL, stderr: "", exitCode: 0 };
    }
    if (!key) return fail(1376, msg(locale, "noSuchGroup"));
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
    const shown = g.members.map((m) => displayMember(state, m));
    const out = [`Alias name     ${groupDisplayName(state, key)}`, `Comment        ${g.comment}`, "", "Members", "", DASHES, ...shown, DONE, ""];
    return { stdout: out.map((l) => l + NL).join(""), stderr: "", exitCode: 0 };
  }

  if (!add && !del) return syntax();
  if (!key) return fail(1376, msg(locale, "noSuchGroup"));
  const group = state.groups[key];
  // resolve all first: net changes nothing when one name is unknown
  const resolved = [];
  for (const m of members) {
    const acc = resolveAccount(state, m);
    if (!acc) return fail(1332, msg(locale, "noMapping"));
    resolved.push(acc);
  }
  // stored members are canonical English names
  const sidOfMember = (name: string) => resolveInternal(state, name)?.sid ?? name.toLowerCase();
  for (const acc of resolved) {
    const present = group.members.some((x) => sidOfMember(x) === acc.sid);
    if (add) {
      if (present) return fail(1378, msg(locale, "alreadyMember"));
      // local groups cannot contain local groups
      if (acc.kind === "builtin-group" || acc.kind === "group") {
        // unverified: no source found for a localized 1388 text (see lab/README.md "Localization")
        return fail(1388, "A new member could not be added to a local group because the member has the wrong account type.");
      }
      group.members.push(acc.internalMember);
    } else {
      if (!present) return fail(1377, msg(locale, "notMember"));
      group.members = group.members.filter((x) => sidOfMember(x) !== acc.sid);
    }
    ctx.markDirty();
  }
  return { stdout: DONE + NL + NL, stderr: "", exitCode: 0 };
}
