import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describePwsh, runPwsh } from "./helpers/pwsh";

/**
 * Windows PowerShell 5.1 guard. Every .ps1/.psm1 under scripts/ and lab/ runs on Windows servers under
 * `powershell.exe` (5.1), which has none of PowerShell 6/7's syntax, parameters or cmdlets - and the
 * test machines only have pwsh 7, which accepts all of them. So the scripts are parsed with PowerShell's
 * own parser (in one pwsh process) and their AST is searched for the PS6+/7-only features in FEATURES.
 * A self-test runs the same checker on samples of every feature (each must be reported) and on 5.1-valid
 * look-alikes (none may be), so the guard cannot pass by silently detecting nothing.
 */

const REPO = path.resolve(__dirname, "..");
const ROOTS = ["scripts", "lab"];

// ---------------------------------------------------------------------------------------------------
// What Windows PowerShell 5.1 lacks. THE table: the checker only reports rules listed here, and the
// self-test needs every `bad` sample reported under its rule, on its line, and nothing else.
//
// Sources (Microsoft Learn page titles):
//   [70]  "What's New in PowerShell 7.0"  (ternary, pipeline chain, null-coalescing, null-conditional
//         (experimental), ForEach-Object -Parallel, Get-Error, ConvertFrom-Json -NoEnumerate)
//   [71]  "What's New in PowerShell 7.1"  (null-conditional operators no longer experimental; .NET 5)
//   [73]  "What's New in PowerShell 7.3"  (clean block)
//   [ops] "about_Operators"  (Ternary operator ? <if-true> : <if-false>; Null-coalescing operator ??;
//         Null-coalescing assignment operator ??=; Null-conditional operators ?. and ?[])
//   [pco] "about_Pipeline_Chain_Operators"  ("Beginning in PowerShell 7 ... && and ||")
//   [fam] "about_Functions_Advanced_Methods"  ("PowerShell 7.3 adds a clean block process method")
//   [enc] "about_Character_Encoding"  (utf8BOM/utf8NoBOM from 6.0; numeric code pages from 6.2; the
//         5.1 value list under "Character encoding in Windows PowerShell")
//   [cfj] "ConvertFrom-Json"  (-AsHashtable 6.0, -Depth 6.2, -NoEnumerate 7.0, -DateKind 7.5)
//   [ctj] "ConvertTo-Json"  (5.1 has only -InputObject -Depth -Compress; -EnumsAsStrings/-AsArray/
//         -EscapeHandling are 6.x)
//   [jp]  "Join-Path"  (-AdditionalChildPath, ValueFromRemainingArguments, 6.0)
//   [gc]  "Get-Content" / "Set-Content"  (-AsByteStream "was introduced in PowerShell 6.0", replacing
//         -Encoding Byte)
//   [ver] "Module and cmdlet release history"  (Test-Json 6.1, Get-Error 7.0, Start-ThreadJob in-box
//         from 6.1, only installable on 5.1)
//   [net] .NET API "Encoding.Latin1 Property" (.NET 5+, so PowerShell 7.1+; .NET Framework 4.x lacks it)
//
// Not flagged on purpose: $IsWindows/$IsLinux/$IsMacOS/$IsCoreCLR - on 5.1 they are just $null.
// ---------------------------------------------------------------------------------------------------

type Match =
  /** An AST shape the checker recognises by this rule's id (see CHECKER). */
  | { kind: "syntax" }
  /** Any call of these commands. */
  | { kind: "command"; commands: string[] }
  /** A call that binds one of these parameters - as pwsh 7's own binder sees it, so abbreviations
   *  (-AsH), aliases (gc) and positional arguments (Join-Path a b c) count. */
  | { kind: "parameter"; commands: string[]; parameters: string[] }
  /** -Encoding given a constant name that 5.1 does not know (utf8NoBOM, utf8BOM, ansi, ...). */
  | { kind: "encoding-name"; commands: string[] }
  /** -Encoding given a numeric code page (65001, 1252, ...). */
  | { kind: "encoding-codepage"; commands: string[] }
  /** A static member of a .NET type that .NET Framework 4.x does not have. */
  | { kind: "static-member"; types: string[]; members: string[] };

interface Feature {
  /** Id the checker reports. */
  rule: string;
  /** What it is, and from which PowerShell version (shown in failures). */
  what: string;
  /** The Microsoft Learn page(s) above. */
  cite: string;
  match: Match;
  /** One line each, valid PowerShell 7, that must be reported under `rule` (the negative self-test). */
  bad: string[];
}

/** Cmdlets whose -Encoding takes a name (5.1: an enum or ValidateSet; 6.2+: also any code page). */
const ENCODING_CMDLETS = ["Add-Content", "Get-Content", "Set-Content", "Out-File", "Export-Csv", "Import-Csv", "Export-Clixml", "Select-String", "Send-MailMessage", "Export-PSSession"];

/** Every -Encoding name Windows PowerShell 5.1 accepts on some cmdlet ([enc]: FileSystemCmdletProviderEncoding, Out-File's ValidateSet). */
const ENCODINGS_51 = ["Unknown", "String", "Unicode", "BigEndianUnicode", "BigEndianUTF32", "UTF8", "UTF7", "UTF32", "Ascii", "Default", "Oem", "Byte"];

/** 5.1's aliases for the commands above (some are gone in 7, e.g. sc, ac), so `sc -AsByteStream` is caught too. */
const ALIASES_51: Record<string, string> = {
  "%": "ForEach-Object",
  foreach: "ForEach-Object",
  gc: "Get-Content",
  cat: "Get-Content",
  type: "Get-Content",
  sc: "Set-Content",
  ac: "Add-Content",
  epcsv: "Export-Csv",
  ipcsv: "Import-Csv",
  sls: "Select-String",
  epsn: "Export-PSSession",
};

const FEATURES: Feature[] = [
  // --- syntax: a parse error on 5.1, so the whole script never runs -----------------------------
  { rule: "ternary", what: "ternary operator a ? b : c (7.0)", cite: "[70] [ops]", match: { kind: "syntax" }, bad: ["$t = $true ? 'yes' : 'no'"] },
  { rule: "null-coalescing", what: "null-coalescing operator ?? (7.0)", cite: "[70] [ops]", match: { kind: "syntax" }, bad: ["$c = $null ?? 'fallback'"] },
  { rule: "null-coalescing-assignment", what: "null-coalescing assignment ??= (7.0)", cite: "[70] [ops]", match: { kind: "syntax" }, bad: ["$d ??= 'fallback'"] },
  {
    rule: "pipeline-chain",
    what: "pipeline chain operators && and || (7.0)",
    cite: "[70] [pco]",
    match: { kind: "syntax" },
    bad: ["Get-Item . && Write-Output 'ok'", "Get-Item . || Write-Output 'failed'"],
  },
  {
    rule: "null-conditional",
    what: "null-conditional member/index access ?. and ?[ ] (7.0 experimental, 7.1)",
    cite: "[70] [71] [ops]",
    match: { kind: "syntax" },
    bad: ["${p}?.Name", "${p}?[0]", "${p}?.ToString()"],
  },
  { rule: "clean-block", what: "clean { } block (7.3)", cite: "[73] [fam]", match: { kind: "syntax" }, bad: ["function Use-Clean { process { $_ } clean { 'done' } }"] },

  // --- parameters and cmdlets: 5.1 parses them, then fails the call at run time ------------------
  {
    rule: "foreach-parallel",
    what: "ForEach-Object -Parallel (7.0)",
    cite: "[70]",
    match: { kind: "parameter", commands: ["ForEach-Object"], parameters: ["Parallel"] },
    bad: ["1..2 | ForEach-Object -Parallel { $_ }", "1..2 | % -Par { $_ }", "1..2 | foreach -ThrottleLimit 2 -parallel { $_ }"],
  },
  {
    rule: "convertfrom-json-param",
    what: "ConvertFrom-Json -AsHashtable (6.0) / -Depth (6.2) / -NoEnumerate (7.0) / -DateKind (7.5)",
    cite: "[cfj] [70]",
    match: { kind: "parameter", commands: ["ConvertFrom-Json"], parameters: ["AsHashtable", "Depth", "NoEnumerate", "DateKind"] },
    bad: ["'{}' | ConvertFrom-Json -AsHashtable", "'{}' | ConvertFrom-Json -AsH", "'{}' | ConvertFrom-Json -Depth 5", "'[]' | ConvertFrom-Json -NoEnumerate", "'{}' | ConvertFrom-Json -DateKind Local"],
  },
  {
    rule: "convertto-json-param",
    what: "ConvertTo-Json -AsArray / -EscapeHandling / -EnumsAsStrings (6.x)",
    cite: "[ctj]",
    match: { kind: "parameter", commands: ["ConvertTo-Json"], parameters: ["AsArray", "EscapeHandling", "EnumsAsStrings"] },
    bad: ["@{} | ConvertTo-Json -AsArray", "@{} | ConvertTo-Json -EscapeHandling EscapeHtml", "@{} | ConvertTo-Json -EnumsAsStrings"],
  },
  {
    rule: "as-byte-stream",
    what: "Get-Content/Set-Content/Add-Content -AsByteStream (6.0; 5.1 has -Encoding Byte)",
    cite: "[gc]",
    match: { kind: "parameter", commands: ["Get-Content", "Set-Content", "Add-Content"], parameters: ["AsByteStream"] },
    bad: [
      "Get-Content -AsByteStream -LiteralPath 'x'",
      "gc -AsB 'x'",
      "Set-Content -LiteralPath 'x' -Value 1 -AsByteStream",
      "sc -Path 'x' -Value 1 -AsByteStream",
      "Add-Content -LiteralPath 'x' -Value 1 -AsByteStream",
    ],
  },
  {
    rule: "join-path-additional",
    what: "Join-Path -AdditionalChildPath, or more than two positional paths (6.0)",
    cite: "[jp]",
    match: { kind: "parameter", commands: ["Join-Path"], parameters: ["AdditionalChildPath"] },
    bad: ["Join-Path 'a' 'b' 'c'", "Join-Path -Path 'a' -ChildPath 'b' -AdditionalChildPath 'c'"],
  },
  {
    rule: "encoding-name",
    what: `-Encoding name 5.1 lacks, e.g. utf8NoBOM/utf8BOM (6.0), ansi (7.4); 5.1 knows ${ENCODINGS_51.join(", ")}`,
    cite: "[enc]",
    match: { kind: "encoding-name", commands: ENCODING_CMDLETS },
    bad: [
      "Out-File -FilePath 'x' -Encoding utf8NoBOM",
      "Set-Content -LiteralPath 'x' -Value 1 -Encoding utf8BOM",
      "Add-Content -LiteralPath 'x' -Value 1 -Encoding:'UTF8NoBOM'",
      "Get-Content -LiteralPath 'x' -Encoding ansi",
      "Export-Csv -Path 'x' -InputObject 1 -Encoding utf8NoBOM",
    ],
  },
  {
    rule: "encoding-codepage",
    what: "-Encoding with a numeric code page (6.2)",
    cite: "[enc]",
    match: { kind: "encoding-codepage", commands: ENCODING_CMDLETS },
    bad: ["Get-Content -LiteralPath 'x' -Encoding 1252", "Set-Content -LiteralPath 'x' -Value 1 -Encoding 65001", "Out-File -FilePath 'x' -Encoding 1251"],
  },
  {
    rule: "ps7-cmdlet",
    what: "cmdlet not in Windows PowerShell 5.1: Test-Json (6.1), Get-Error (7.0), Start-ThreadJob (in-box 6.1+)",
    cite: "[ver] [70]",
    match: { kind: "command", commands: ["Test-Json", "Get-Error", "Start-ThreadJob"] },
    bad: ["Test-Json -Json '{}'", "Get-Error", "Start-ThreadJob -ScriptBlock { 1 }"],
  },
  {
    rule: "encoding-latin1",
    what: "[System.Text.Encoding]::Latin1 (.NET 5, PowerShell 7.1; use GetEncoding(28591) on 5.1)",
    cite: "[71] [net]",
    match: { kind: "static-member", types: ["System.Text.Encoding", "Text.Encoding"], members: ["Latin1"] },
    bad: ["$e = [System.Text.Encoding]::Latin1", "[Text.Encoding]::Latin1.GetBytes('x')"],
  },
];

/** 5.1-valid look-alikes: none of them may be reported. */
const GOOD_51 = [
  "$x = if ($a) { 'b' } else { 'c' }",
  "'a ? b : c && d || e ?? f'",
  "$h = @{ '??' = 1 }",
  "cmd /c \"a && b\"",
  "$a -and $b -or $c",
  "function Use-Blocks { begin { } process { $_ } end { } }",
  "Join-Path -Path 'a' -ChildPath 'b'",
  "Join-Path 'a' 'b' -Resolve",
  "Get-Content -LiteralPath 'x' -Encoding UTF8 -Raw",
  "Get-Content -Encoding Byte -ReadCount 0 -LiteralPath 'x'",
  "Get-Content -Encoding $enc -LiteralPath 'x'",
  "Set-Content -LiteralPath 'x' -Value 1 -Encoding ASCII",
  "Out-File -FilePath 'x' -Encoding utf8",
  "@{} | ConvertTo-Json -Depth 8 -Compress",
  "$j = '{}' | ConvertFrom-Json",
  "1..3 | ForEach-Object -Process { $_ }",
  "1..3 | % { $_ }",
  "foreach ($i in 1..3) { $i }",
  "$u = [System.Text.Encoding]::UTF8",
  "$l = [System.Text.Encoding]::GetEncoding(28591)",
  "if ($IsWindows -or $IsCoreCLR) { }",
  "$r = $p.Name",
  "$r = $p[0]",
];

// ---------------------------------------------------------------------------------------------------
// The checker: run as `pwsh -NoProfile -NonInteractive -File <this> <rules.json> <file>...`; prints one
// JSON array, an object per file: { path, parseErrors: [{ line, message }], violations: [{ line, rule, text }] }.
// Written to a temp file rather than piped to `-Command -`, which splits its input into statements.
// ---------------------------------------------------------------------------------------------------
const CHECKER = String.raw`
using namespace System.Management.Automation.Language
param(
  [Parameter(Mandatory = $true, Position = 0)][string]$RulesFile,
  [Parameter(ValueFromRemainingArguments = $true)][string[]]$Path = @()
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0

$spec = Get-Content -Raw -LiteralPath $RulesFile | ConvertFrom-Json
$syntaxRules = @{}
$byCommand = @{}        # lower-case command name -> rules that look at its calls
$staticRules = @()
foreach ($r in $spec.rules) {
  switch ($r.kind) {
    'syntax' { $syntaxRules[$r.rule] = $true }
    'static-member' { $staticRules += $r }
    default { foreach ($c in $r.commands) { $k = $c.ToLowerInvariant(); if (-not $byCommand.ContainsKey($k)) { $byCommand[$k] = @() }; $byCommand[$k] += $r } }
  }
}
$aliases = @{}
foreach ($p in $spec.aliases.PSObject.Properties) { $aliases[$p.Name.ToLowerInvariant()] = $p.Value }
$encodings51 = @{}
foreach ($e in $spec.encodings51) { $encodings51[$e.ToLowerInvariant()] = $true }

function Get-FirstLine([string]$text) {
  $line = ($text -split '\r?\n')[0]
  if ($line.Length -gt 160) { $line = $line.Substring(0, 157) + '...' }
  $line
}

# The command a CommandAst calls, as 5.1 would resolve the name: module qualifier dropped, 5.1 aliases followed.
function Get-CanonicalCommand([CommandAst]$cmd) {
  $name = $cmd.GetCommandName()
  if (-not $name) { return $null }
  $i = $name.LastIndexOf('\')
  if ($i -ge 0) { $name = $name.Substring($i + 1) }
  if ($aliases.ContainsKey($name.ToLowerInvariant())) { $name = $aliases[$name.ToLowerInvariant()] }
  $name
}

# Parameter name -> argument Ast (or $null for a switch), for a call of $canonical. Two views, merged:
# pwsh 7's StaticParameterBinder (abbreviations, aliases, positional arguments) on the call re-parsed with
# the canonical name (so 5.1-only aliases bind too), and - for when the binder gives up, e.g. on an
# unresolvable parameter set - each written -Name resolved against the cmdlet's parameters by hand.
function Get-BoundParameters([CommandAst]$cmd, [string]$canonical) {
  $bound = @{}
  $nameEnd = $cmd.CommandElements[0].Extent.EndOffset - $cmd.Extent.StartOffset
  $text = $canonical + $cmd.Extent.Text.Substring($nameEnd)
  $reparsed = [Parser]::ParseInput($text, [ref]$null, [ref]$null).Find({ param($a) $a -is [CommandAst] }, $true)
  if ($reparsed) {
    try {
      $result = [StaticParameterBinder]::BindCommand($reparsed, $true)
      foreach ($kv in $result.BoundParameters.GetEnumerator()) { $bound[$kv.Key] = $kv.Value.Value }
    } catch { }
  }
  $info = Get-Command -Name $canonical -CommandType Cmdlet, Function -ErrorAction SilentlyContinue | Select-Object -First 1
  if ($info) {
    $meta = @($info.Parameters.Values)
    $elements = $cmd.CommandElements
    for ($i = 1; $i -lt $elements.Count; $i++) {
      $el = $elements[$i]
      if ($el -isnot [CommandParameterAst]) { continue }
      $given = $el.ParameterName
      $hit = @($meta | Where-Object { $_.Name -eq $given -or $_.Aliases -contains $given })
      if ($hit.Count -ne 1) { $hit = @($meta | Where-Object { $_.Name -like "$given*" }) }
      if ($hit.Count -ne 1) { continue }
      $arg = $el.Argument
      if (-not $arg -and $hit[0].SwitchParameter -eq $false -and $i + 1 -lt $elements.Count -and $elements[$i + 1] -isnot [CommandParameterAst]) { $arg = $elements[$i + 1] }
      if (-not $bound.ContainsKey($hit[0].Name)) { $bound[$hit[0].Name] = $arg }
    }
  }
  $bound
}

function Test-File([string]$file) {
  $parseErrors = [System.Collections.Generic.List[object]]::new()
  $violations = [System.Collections.Generic.List[object]]::new()
  $seen = @{}
  $add = {
    param([string]$rule, [IScriptExtent]$extent)
    $key = "$rule@$($extent.StartOffset)"
    if ($seen.ContainsKey($key)) { return }
    $seen[$key] = $true
    $violations.Add([ordered]@{ line = $extent.StartLineNumber; rule = $rule; text = (Get-FirstLine $extent.Text) })
  }
  $tokens = $null
  $errors = $null
  try {
    $ast = [Parser]::ParseFile($file, [ref]$tokens, [ref]$errors)
  } catch {
    $parseErrors.Add([ordered]@{ line = 0; message = "cannot parse: $($_.Exception.Message)" })
    return [ordered]@{ path = $file; parseErrors = @($parseErrors); violations = @($violations) }
  }
  foreach ($e in $errors) { $parseErrors.Add([ordered]@{ line = $e.Extent.StartLineNumber; message = $e.Message }) }

  foreach ($n in $ast.FindAll({ $true }, $true)) {
    if ($n -is [TernaryExpressionAst] -and $syntaxRules['ternary']) { & $add 'ternary' $n.Extent }
    if ($n -is [BinaryExpressionAst] -and $n.Operator -eq [TokenKind]::QuestionQuestion -and $syntaxRules['null-coalescing']) { & $add 'null-coalescing' $n.Extent }
    if ($n -is [AssignmentStatementAst] -and $n.Operator -eq [TokenKind]::QuestionQuestionEquals -and $syntaxRules['null-coalescing-assignment']) { & $add 'null-coalescing-assignment' $n.Extent }
    if ($n -is [PipelineChainAst] -and $syntaxRules['pipeline-chain']) { & $add 'pipeline-chain' $n.Extent }
    if ($n -is [ScriptBlockAst] -and $null -ne $n.CleanBlock -and $syntaxRules['clean-block']) { & $add 'clean-block' $n.CleanBlock.Extent }
    if (($n -is [MemberExpressionAst] -or $n -is [IndexExpressionAst]) -and $n.NullConditional -and $syntaxRules['null-conditional']) { & $add 'null-conditional' $n.Extent }

    if ($n -is [MemberExpressionAst] -and $n.Static -and $n.Expression -is [TypeExpressionAst] -and $n.Member -is [StringConstantExpressionAst]) {
      foreach ($r in $staticRules) {
        if ($r.types -contains $n.Expression.TypeName.FullName -and $r.members -contains $n.Member.Value) { & $add $r.rule $n.Extent }
      }
    }

    if ($n -is [CommandAst]) {
      $canonical = Get-CanonicalCommand $n
      if (-not $canonical -or -not $byCommand.ContainsKey($canonical.ToLowerInvariant())) { continue }
      $rules = $byCommand[$canonical.ToLowerInvariant()]
      $bound = $null
      foreach ($r in $rules) {
        if ($r.kind -eq 'command') { & $add $r.rule $n.Extent; continue }
        if ($null -eq $bound) { $bound = Get-BoundParameters $n $canonical }
        if ($r.kind -eq 'parameter') {
          foreach ($p in $r.parameters) { if ($bound.ContainsKey($p)) { & $add $r.rule $n.Extent } }
        } elseif ($r.kind -eq 'encoding-name' -or $r.kind -eq 'encoding-codepage') {
          if (-not $bound.ContainsKey('Encoding')) { continue }
          $value = $bound['Encoding']
          if ($value -isnot [ConstantExpressionAst]) { continue }   # $variables and (expressions): unknown here
          $v = $value.Value
          $numeric = $v -is [int] -or $v -is [long] -or $v -is [double] -or $v -is [decimal]
          if ($r.kind -eq 'encoding-codepage' -and $numeric) { & $add $r.rule $n.Extent }
          if ($r.kind -eq 'encoding-name' -and -not $numeric -and -not $encodings51.ContainsKey("$v".ToLowerInvariant())) { & $add $r.rule $n.Extent }
        }
      }
    }
  }
  [ordered]@{ path = $file; parseErrors = @($parseErrors); violations = @($violations) }
}

$results = [System.Collections.Generic.List[object]]::new()
foreach ($f in $Path) { $results.Add((Test-File $f)) }
[Console]::Out.Write((ConvertTo-Json -InputObject @($results) -Depth 6 -Compress))
`;

interface FileReport {
  path: string;
  parseErrors: { line: number; message: string }[];
  violations: { line: number; rule: string; text: string }[];
}

/** .ps1/.psm1 files under scripts/ and lab/, repo-relative with forward slashes, sorted. */
function findScripts(): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === "node_modules" || entry.name === ".git") continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && /\.psm?1$/i.test(entry.name)) found.push(path.relative(REPO, full).split(path.sep).join("/"));
    }
  };
  for (const root of ROOTS) if (existsSync(path.join(REPO, root))) walk(path.join(REPO, root));
  return found.sort();
}

function describeRule(rule: string): string {
  const f = FEATURES.find((x) => x.rule === rule);
  return f ? `${rule} [${f.what}]` : rule;
}

function problemsOf(report: FileReport, shownAs: string): string[] {
  return [
    ...report.parseErrors.map((e) => `${shownAs}:${e.line} parse-error ${e.message}`),
    ...report.violations.map((v) => `${shownAs}:${v.line} ${describeRule(v.rule)} ${v.text}`),
  ];
}

describePwsh("Windows PowerShell 5.1 guard: scripts use no PowerShell 6/7-only syntax, parameters or cmdlets", () => {
  const scripts = findScripts();
  let tmp: string;
  let reports: Map<string, FileReport>;
  let badFile: string;
  let goodFile: string;
  let brokenFile: string;
  /** Line (1-based) of every bad sample in badFile, with the rule it must be reported under. */
  const expected: { line: number; rule: string; sample: string }[] = [];

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), "wsus-iis-ps51-"));
    const checker = path.join(tmp, "ps51-check.ps1");
    const rules = path.join(tmp, "rules.json");
    writeFileSync(checker, CHECKER);
    writeFileSync(
      rules,
      JSON.stringify({ rules: FEATURES.map((f) => ({ rule: f.rule, ...f.match })), aliases: ALIASES_51, encodings51: ENCODINGS_51 }),
    );

    const badLines = ["# one sample of every PowerShell 6/7-only feature in FEATURES, one per line"];
    for (const f of FEATURES) {
      for (const sample of f.bad) {
        badLines.push(sample);
        expected.push({ line: badLines.length, rule: f.rule, sample });
      }
    }
    badFile = path.join(tmp, "bad-ps7-features.ps1");
    writeFileSync(badFile, badLines.join("\n") + "\n");
    goodFile = path.join(tmp, "good-ps51-lookalikes.ps1");
    writeFileSync(goodFile, GOOD_51.join("\n") + "\n");
    brokenFile = path.join(tmp, "broken-syntax.ps1");
    writeFileSync(brokenFile, "$ok = 1\nif ($ok) {\n  'never closed'\n");

    const files = [...scripts.map((s) => path.join(REPO, s)), badFile, goodFile, brokenFile];
    const r = await runPwsh(["-NoProfile", "-NonInteractive", "-File", checker, rules, ...files], { cwd: tmp });
    const stdout = r.stdout.toString("utf8").trim();
    if (r.exitCode !== 0 || !stdout.startsWith("[")) {
      throw new Error(`the checker failed (exit ${r.exitCode}):\n${r.stderr}\n${stdout.slice(0, 2000)}`);
    }
    const parsed = JSON.parse(stdout) as FileReport[];
    reports = new Map(parsed.map((x) => [x.path, x]));
  });

  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  const reportFor = (file: string): FileReport => {
    const rep = reports.get(file);
    if (!rep) throw new Error(`the checker reported nothing for ${file}; it reported: ${[...reports.keys()].join(", ")}`);
    return rep;
  };

  it("finds the scripts to check (scripts/agent.ps1 at least)", () => {
    expect(scripts).toContain("scripts/agent.ps1");
    expect(scripts.length).toBeGreaterThanOrEqual(1);
  });

  it("every shipped script is pure ASCII: Windows PowerShell 5.1 reads a .ps1 without a BOM in the ANSI code page (about_Character_Encoding)", () => {
    const nonAscii = scripts.filter((s) => readFileSync(path.join(REPO, s)).some((b) => b >= 0x80));
    expect(nonAscii).toEqual([]);
  });

  it("every .ps1/.psm1 under scripts/ and lab/ parses and uses only what Windows PowerShell 5.1 has", () => {
    const problems = scripts.flatMap((s) => problemsOf(reportFor(path.join(REPO, s)), s));
    expect(problems, `PowerShell 6/7-only constructs in scripts run by Windows PowerShell 5.1:\n${problems.join("\n")}`).toEqual([]);
    expect(scripts.length).toBe(reports.size - 3);
  });

  it("self-test: every feature in the table is reported, on its line, and nothing else", () => {
    const rep = reportFor(badFile);
    expect(rep.parseErrors).toEqual([]);
    const want = expected.map((e) => `${e.line} ${e.rule}: ${e.sample}`).sort();
    const got = rep.violations.map((v) => `${v.line} ${v.rule}: ${expected.find((e) => e.line === v.line)?.sample ?? v.text}`).sort();
    expect(got).toEqual(want);
    // every rule in the table has a sample, so none can go undetected unnoticed
    expect(new Set(expected.map((e) => e.rule))).toEqual(new Set(FEATURES.map((f) => f.rule)));
  });

  it("self-test: 5.1-valid look-alikes are not reported", () => {
    const rep = reportFor(goodFile);
    expect(problemsOf(rep, "good-ps51-lookalikes.ps1")).toEqual([]);
  });

  it("self-test: a syntax error is reported with its line", () => {
    const rep = reportFor(brokenFile);
    expect(rep.parseErrors.length).toBeGreaterThan(0);
    expect(rep.parseErrors.every((e) => e.line >= 1 && e.message.length > 0)).toBe(true);
    expect(problemsOf(rep, "broken-syntax.ps1").join("\n")).toMatch(/broken-syntax\.ps1:\d+ parse-error .*\}/);
  });
});
