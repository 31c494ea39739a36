import { describe, expect, it } from "vitest";
import { isMember, localGroupFromText, parseNetLocalGroup } from "../core/evidence/netLocalGroup";
import { EvidenceError } from "../core/evidence/errors";
import { evidenceError } from "./support/errors";

const USERS_EN = [
  "Alias name     Users",
  "Comment        Users are prevented from making accidental or intentional system-wide changes and can run most applications",
  "",
  "Members",
  "",
  "-------------------------------------------------------------------------------",
  "NT AUTHORITY\\Authenticated Users",
  "NT AUTHORITY\\INTERACTIVE",
  "IUSR_WSUS01",
  "The command completed successfully.",
  "",
].join("\r\n");

const USERS_DE = [
  "Aliasname     Benutzer",
  "Beschreibung  Benutzer können keine zufälligen oder beabsichtigten Änderungen am System durchführen.",
  "",
  "Mitglieder",
  "",
  "-------------------------------------------------------------------------------",
  "NT-AUTORITÄT\\Authentifizierte Benutzer",
  "NT-AUTORITÄT\\INTERAKTIV",
  "Der Befehl wurde erfolgreich ausgeführt.",
  "",
].join("\n");


describe("parseNetLocalGroup", () => {
  it("parses the English output", () => {
    expect(parseNetLocalGroup(USERS_EN)).toEqual({
      name: "Users",
      members: ["NT AUTHORITY\\Authenticated Users", "NT AUTHORITY\\INTERACTIVE", "IUSR_WSUS01"],
    });
  });

  it("parses the German output without knowing German", () => {
    expect(parseNetLocalGroup(USERS_DE)).toEqual({
      name: "Benutzer",
      members: ["NT-AUTORITÄT\\Authentifizierte Benutzer", "NT-AUTORITÄT\\INTERAKTIV"],
    });
  });

  it("group names with spaces, trailing blanks, no comment", () => {
    const text = "Alias name     Remote Desktop Users   \nComment\n\nMembers\n\n-------------------------------------------------------------------------------\nCONTOSO\\Help Desk\nThe command completed successfully.\n\n";
    expect(parseNetLocalGroup(text)).toEqual({ name: "Remote Desktop Users", members: ["CONTOSO\\Help Desk"] });
  });

  it("an empty member list is valid", () => {
    const text = "Alias name     IIS_IUSRS\nComment        Built-in group used by Internet Information Services.\n\nMembers\n\n-------------------------------------------------------------------------------\nThe command completed successfully.\n";
    expect(parseNetLocalGroup(text)).toEqual({ name: "IIS_IUSRS", members: [] });
  });

  it("errors: no such group, empty, truncated", () => {
    const e = evidenceError(() => parseNetLocalGroup("System error 1376 has occurred.\r\n\r\nThe specified local group does not exist.\r\n", "WSUS Reporters"));
    expect(e.field).toBe('localGroups["WSUS Reporters"]');
    expect(e.message).toBe('localGroups["WSUS Reporters"]: net localgroup failed: System error 1376 has occurred. The specified local group does not exist.');
    expect(evidenceError(() => parseNetLocalGroup("")).message).toMatch(/empty/);
    const truncated = "Alias name     Users\nComment        x\n\nMembers\n\n-------------------------------------------------------------------------------\n\n";
    expect(evidenceError(() => parseNetLocalGroup(truncated)).message).toMatch(/truncated/);
  });

  it("falls back to the expected name when the first line has no label column", () => {
    const text = "Users\n\n-------------------------------------------------------------------------------\nNT AUTHORITY\\INTERACTIVE\nOK.\n";
    expect(parseNetLocalGroup(text, "Users").name).toBe("Users");
    expect(evidenceError(() => parseNetLocalGroup(text)).message).toMatch(/line 1: cannot find the group name/);
  });
});

describe("isMember", () => {
  const en = localGroupFromText(parseNetLocalGroup(USERS_EN));
  const de = localGroupFromText(parseNetLocalGroup(USERS_DE));

  it("matches local accounts with or without the computer name", () => {
    expect(isMember(en, "IUSR_WSUS01")).toBe(true);
    expect(isMember(en, "WSUS01\\IUSR_WSUS01", "WSUS01")).toBe(true);
    expect(isMember(en, "wsus01\\iusr_wsus01", "WSUS01")).toBe(true);
    expect(isMember(en, "WSUS01\\IUSR_WSUS01")).toBe(false); // no computer name: the domain counts
    expect(isMember(en, "OTHER\\IUSR_WSUS01", "WSUS01")).toBe(false);
  });

  it("matches well-known accounts by SID across languages", () => {
    expect(isMember(en, "NT AUTHORITY\\Authenticated Users")).toBe(true);
    expect(isMember(en, "S-1-5-11")).toBe(true);
    expect(isMember(de, "NT AUTHORITY\\Authenticated Users")).toBe(true);
    expect(isMember(de, "NT AUTHORITY\\INTERACTIVE")).toBe(true);
    expect(isMember(en, "NT AUTHORITY\\IUSR")).toBe(false);
  });
});
