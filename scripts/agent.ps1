<#
.SYNOPSIS
  wsus-iis agent for Windows hosts: one request in, one response out (core/agent/protocol.ts).

.DESCRIPTION
  How it travels (core/agent/wire.ts): the client starts
    powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -EncodedCommand <bootstrap>
  and writes two base64 lines on its standard input: this script (UTF-8) and the request JSON (UTF-8).
  The bootstrap runs this script as one scriptblock inside try/catch, the way Ansible's
  bootstrap_wrapper.ps1 does, and prints the returned JSON as one line `wsus-iis:<base64 of UTF-8>`.
  Nothing else of this script reaches standard output. (`powershell -Command -` would run stdin
  statement by statement, as typed at a prompt: about_PowerShell_exe; PowerShell #3223, #21784.)

  Read-only for `collect`. For `apply`: takes the machine-wide mutex Global\wsus-iis, refuses if
  applicationHost.config changed since it was read, writes a journal, runs the backup command lines,
  then the plan's command lines in order, stops at the first failure and runs the rollback lines (the
  IIS restore only if nobody else changed the file meanwhile), then reads the state back.

  Every command line it runs was built by the client (core/commands/quote.ts), or is one of the two
  constant read-only lines below ($script:SitesXmlLine, $script:AppPoolsXmlLine): this script never puts
  a value on a command line itself.

  Dot-sourced without -RequestJson (scripts/collect-evidence.ps1 does that), it only defines its
  functions.

  Windows PowerShell 5.1 syntax only (test/ps51-syntax.test.ts checks it).
#>
param([string]$RequestJson)

Set-StrictMode -Version 2
$ErrorActionPreference = 'Stop'
# Progress records would reach stderr as `#< CLIXML` (inspec/train #153); Ansible's exec_wrapper turns them off too.
$ProgressPreference = 'SilentlyContinue'

$script:AgentVersion = '2'
$script:MutexName = 'Global\wsus-iis'
$script:JournalKeep = 20
# Success: 0, and Windows Installer's "restart required / initiated" (MsiExec.exe error messages:
# ERROR_SUCCESS, ERROR_SUCCESS_REBOOT_INITIATED and ERROR_SUCCESS_REBOOT_REQUIRED "are indicative of success").
$script:SuccessCodes = @(0, 1641, 3010)
$script:RebootCodes = @(1641, 3010)

# Runtime state of sites and application pools (issue 13): applicationHost.config does not say whether
# a site or pool runs (a person or rapid-fail protection may have stopped it). Two constant read-only
# command lines; core/agent/runner.ts runs the same two (RUNTIME_COMMANDS). Their /xml output is one
# element per object under <appcmd>, the text form's fields as attributes:
#   <?xml version="1.0" encoding="UTF-8"?>
#   <appcmd>
#     <SITE SITE.NAME="Default Web Site" SITE.ID="1" bindings="http/*:80:" state="Started" />
#     <APPPOOL APPPOOL.NAME="DefaultAppPool" PipelineMode="Integrated" RuntimeVersion="v4.0" state="Started" />
#   </appcmd>
# Sources: the text form with the same fields is in the IIS docs' appcmd samples ("Getting Started with
# AppCmd.exe": `SITE "Site2" (id:3,bindings:http/*:82:,state:Stopped)`, `APPPOOL "DefaultAppPool"
# (MgdVersion:v2.0,MgdMode:Integrated,state:Started)`); no Microsoft page prints the /xml form, but public
# code that parses real output reads these attributes (sergueik/powershell_samples
# utils/validate_apppools.ps1: [xml] of `appcmd.exe list apppool /xml`, APPPOOL.NAME, PipelineMode,
# RuntimeVersion, state; Go and C# IIS tools parse `<SITE SITE.NAME=... SITE.ID=... bindings=... state=...>`).
# The raw text goes into the evidence; core/evidence/runtime.ts parses it.
$script:SitesXmlLine = '%windir%\system32\inetsrv\appcmd.exe list site /xml'
$script:AppPoolsXmlLine = '%windir%\system32\inetsrv\appcmd.exe list apppool /xml'
# web.config files read for the health rules (ASP.NET impersonation): at most this many folders, and
# none larger than this (its folder is then left out: unknown, never a guess).
$script:WebConfigMaxFolders = 500
$script:WebConfigMaxBytes = 1048576

# ---------------------------------------------------------------------------------------------------
# Windows API adapter: the only functions that need Windows. On another platform (the lab runs this
# script under PowerShell 7 on Linux) they come from the lab's module (lab/powershell/WsusIisLab.psm1),
# which answers from the lab's emulation; everything below this block runs unchanged on both.
if ([Environment]::OSVersion.Platform -eq [PlatformID]::Win32NT) {
  function Get-WsusAclSddl([string]$Path) {
    # SDDL names trustees by SID, the same on every language of Windows (icacls text does not:
    # VORDEFINIERT\Benutzer, AUTORITE NT\Systeme). Get-Acl without -Audit has no SACL.
    (Get-Acl -LiteralPath $Path).Sddl
  }

  function Get-WsusLocalGroup([string]$Sid) {
    # A local group by SID, with its members' SIDs. Names are localised; SIDs are not
    # (awarre/Optimize-WsusServer PR #11 resolves Users/Administrators the same way). Members through
    # ADSI WinNT as Ansible's win_group_membership does: Get-LocalGroupMember fails on a group that
    # holds an orphaned or Azure AD SID (PowerShell #2996, #21617).
    $id = New-Object System.Security.Principal.SecurityIdentifier($Sid)
    try { $name = $id.Translate([System.Security.Principal.NTAccount]).Value } catch { return $null }
    $bare = $name.Substring($name.LastIndexOf('\') + 1)
    $group = [ADSI]('WinNT://' + $env:COMPUTERNAME + '/' + $bare + ',group')
    $members = New-Object System.Collections.ArrayList
    foreach ($raw in @($group.psbase.Invoke('Members'))) {
      $m = [ADSI]$raw
      $memberSid = (New-Object System.Security.Principal.SecurityIdentifier(@($m.InvokeGet('objectSID'))[0], 0)).Value
      $memberName = $null
      try { $memberName = (New-Object System.Security.Principal.SecurityIdentifier($memberSid)).Translate([System.Security.Principal.NTAccount]).Value } catch { }
      [void]$members.Add([ordered]@{ sid = $memberSid; name = $memberName })
    }
    [ordered]@{ sid = $id.Value; name = $name; members = @($members) }
  }

  function Resolve-WsusSids([string[]]$Sids) {
    # The server's (localised) name of each SID; a SID that does not resolve (an orphan) is left out.
    $names = [ordered]@{}
    foreach ($sid in $Sids) {
      try { $names[$sid] = (New-Object System.Security.Principal.SecurityIdentifier($sid)).Translate([System.Security.Principal.NTAccount]).Value } catch { }
    }
    $names
  }

  function Get-WsusRegistrySubkeys([string]$Key) {
    @(Get-ChildItem -LiteralPath ('Registry::' + $Key) -ErrorAction SilentlyContinue | ForEach-Object { $_.PSChildName })
  }
} else {
  Import-Module WsusIisLab -ErrorAction Stop
}

# ---------------------------------------------------------------------------------------------------
# Portable part.

# Programs by role, from one table. Convert-Path gives the path .NET can start (on Windows the same
# path; in the lab the file behind the lab's drive C:).
function Get-WsusTool([string]$Name) {
  $table = @{ cmd = 'System32\cmd.exe' }
  Convert-Path -LiteralPath (Join-Path $env:windir $table[$Name])
}

# A Windows path joined with `\` on any platform: it names a file on the server and is reported back
# as written (Join-Path would use `/` under PowerShell on Linux).
function Join-WsusPath([string]$Parent, [string]$Child) {
  $Parent.TrimEnd('\', '/') + '\' + $Child.TrimStart('\', '/')
}

function Get-WsusStateDir {
  $base = $env:ProgramData
  if (-not $base) { $base = Join-Path $env:SystemDrive 'ProgramData' }
  Join-Path $base 'wsus-iis'
}

# The path as NTFS would find it: case-insensitively. Test-Path answers at once on Windows; the walk
# only runs where the file system is case-sensitive (the lab on Linux). $null when it does not exist.
function Resolve-WsusPath([string]$Path) {
  if (Test-Path -LiteralPath $Path) { return $Path }
  $parts = $Path.Split([char[]]@('\', '/'), [StringSplitOptions]::RemoveEmptyEntries)
  if ($parts.Count -lt 1) { return $null }
  $current = $parts[0] + '\'
  if (-not (Test-Path -LiteralPath $current)) { return $null }
  for ($i = 1; $i -lt $parts.Count; $i++) {
    $match = $null
    foreach ($child in @(Get-ChildItem -LiteralPath $current -Force -ErrorAction SilentlyContinue)) {
      if ([string]::Equals($child.Name, $parts[$i], [StringComparison]::OrdinalIgnoreCase)) { $match = $child.Name; break }
    }
    if ($null -eq $match) { return $null }
    $current = Join-Path $current $match
  }
  $current
}

function ConvertTo-WsusJson($Value) {
  $json = ConvertTo-Json -InputObject $Value -Depth 12 -Compress
  # Windows PowerShell 5.1 leaves non-ASCII letters raw (PowerShell #7693): escape every one, so the
  # text is pure ASCII whatever code page it meets.
  [regex]::Replace($json, '[^\x00-\x7F]', { param($m) '\u{0:x4}' -f [int][char]$m.Value })
}

function Get-WsusOemCodePage {
  $cp = 0
  try { $cp = [System.Globalization.CultureInfo]::CurrentCulture.TextInfo.OEMCodePage } catch { }
  if ($cp -le 0) { $cp = 437 }
  $cp
}

# Console programs whose output is redirected write it in the OEM code page (850 on German and French
# servers), unless the console code page was switched to UTF-8 (PowerShell/Win32-OpenSSH #1768;
# oceanbase/powercontext PR #1636 for icacls). Bytes that are valid UTF-8 are read as UTF-8, anything
# else as the OEM code page: an OEM accented letter (0x80-0xFF) on its own is never valid UTF-8.
function ConvertFrom-WsusConsoleBytes([byte[]]$Bytes) {
  if ($null -eq $Bytes -or $Bytes.Length -eq 0) { return '' }
  $strict = New-Object System.Text.UTF8Encoding($false, $true)
  try { return $strict.GetString($Bytes) } catch { }
  [System.Text.Encoding]::GetEncoding((Get-WsusOemCodePage)).GetString($Bytes)
}

function Invoke-WsusLine([int]$Index, [string]$Line) {
  $psi = New-Object System.Diagnostics.ProcessStartInfo
  $psi.FileName = Get-WsusTool 'cmd'
  # cmd /d: no AutoRun commands; /s /c "LINE": cmd removes the outer quotes and runs LINE as written.
  $psi.Arguments = '/d /s /c "' + $Line + '"'
  # .NET on Linux hands a program an argv, not its command line: the lab's cmd.exe takes the raw line
  # from here (and checks it against its argv). cmd.exe on Windows ignores the variable.
  $psi.EnvironmentVariables['WSUS_IIS_COMMAND_LINE'] = $psi.Arguments
  $psi.UseShellExecute = $false
  $psi.RedirectStandardInput = $true
  $psi.RedirectStandardOutput = $true
  $psi.RedirectStandardError = $true
  $p = [System.Diagnostics.Process]::Start($psi)
  $p.StandardInput.Close()
  $out = New-Object System.IO.MemoryStream
  $err = New-Object System.IO.MemoryStream
  $copyOut = $p.StandardOutput.BaseStream.CopyToAsync($out)
  $copyErr = $p.StandardError.BaseStream.CopyToAsync($err)
  $p.WaitForExit()
  $copyOut.Wait()
  $copyErr.Wait()
  [ordered]@{
    index    = $Index
    command  = $Line
    exitCode = $p.ExitCode
    stdout   = ConvertFrom-WsusConsoleBytes $out.ToArray()
    stderr   = ConvertFrom-WsusConsoleBytes $err.ToArray()
  }
}

function Get-WsusConfigPath { Join-Path $env:windir 'System32\inetsrv\config\applicationHost.config' }

function Get-WsusConfigHash {
  (Get-FileHash -LiteralPath (Get-WsusConfigPath) -Algorithm SHA256).Hash.ToLowerInvariant()
}

function Get-WsusFiles([string]$Dir) {
  $found = Resolve-WsusPath $Dir
  if (-not $found) { return ,@() }
  $sep = [System.IO.Path]::DirectorySeparatorChar
  $root = (Convert-Path -LiteralPath $found).TrimEnd($sep) + $sep
  $list = New-Object System.Collections.Generic.List[string]
  foreach ($f in @(Get-ChildItem -LiteralPath $found -Recurse -File -Force -ErrorAction SilentlyContinue)) {
    $list.Add($f.FullName.Substring($root.Length).Replace($sep, '\'))
  }
  $files = $list.ToArray()
  [Array]::Sort($files, [StringComparer]::OrdinalIgnoreCase)
  ,$files
}

# The first non-blank line of the texts (stderr, then stdout), trimmed, at most 200 characters: what a
# note quotes of a command's complaint.
function Get-WsusFirstLine([string[]]$Texts) {
  foreach ($t in $Texts) {
    foreach ($l in ([string]$t -split '\r?\n')) {
      $s = $l.Trim([char[]]@(' ', "`t"))
      if ($s -ne '') {
        if ($s.Length -gt 200) { $s = $s.Substring(0, 200) }
        return $s
      }
    }
  }
  ''
}

# Whether appcmd's output is what core/evidence/runtime.ts parses: well-formed XML under <appcmd>.
function Test-WsusAppcmdXml([string]$Text) {
  if ([string]::IsNullOrWhiteSpace($Text.TrimStart([char]0xFEFF))) { return $false }
  try { $doc = [xml]($Text.TrimStart([char]0xFEFF)) } catch { return $false }
  ($null -ne $doc.DocumentElement) -and ($doc.DocumentElement.Name -ceq 'appcmd')
}

# One runtime list: the raw output (decoded as all console output is, ConvertFrom-WsusConsoleBytes), or
# $null with a note when appcmd failed or printed something else (the health rules then say unknown;
# the rest of the read goes on).
function Read-WsusAppcmdXml([string]$Line, $Notes) {
  $r = Invoke-WsusLine 0 $Line
  $why = $null
  if ($r.exitCode -ne 0) { $why = 'exited ' + $r.exitCode }
  elseif (-not (Test-WsusAppcmdXml $r.stdout)) { $why = 'printed no appcmd XML' }
  if ($null -eq $why) { return $r.stdout }
  $detail = Get-WsusFirstLine @($r.stderr, $r.stdout)
  if ($detail -ne '') { $why = $why + ': ' + $detail }
  [void]$Notes.Add('runtime state not read, the health rules on it say unknown: ' + $Line + ' ' + $why)
  $null
}

function Get-WsusRuntime($Notes) {
  $sites = Read-WsusAppcmdXml $script:SitesXmlLine $Notes
  $pools = Read-WsusAppcmdXml $script:AppPoolsXmlLine $Notes
  if ($null -eq $sites -or $null -eq $pools) { return $null }
  [ordered]@{ sitesXml = $sites; appPoolsXml = $pools }
}

# The web.config of one folder that applicationHost.config maps: @{ value = text or $null } ($null: the
# folder has no web.config), or $null with a note when it was not read (not a local path, too large,
# unreadable): the health rules then say unknown for it. Only <folder>\web.config is read, nothing else.
function Read-WsusWebConfig([string]$Folder, $Notes) {
  $dir = [Environment]::ExpandEnvironmentVariables($Folder).Replace('/', '\')
  $why = $null
  if ($dir -notmatch '^[A-Za-z]:\\') { $why = 'not a local path' }
  elseif ($dir -match '(^|\\)\.{1,2}(\\|$)') { $why = 'a relative path segment' }
  else {
    try {
      $found = Resolve-WsusPath $dir
      if (-not $found -or -not (Test-Path -LiteralPath $found -PathType Container)) { return @{ value = $null } }
      $file = $null
      # The folder's files, each name compared as NTFS compares it (a search pattern would be matched
      # case-sensitively on the lab's file system). An unreadable folder throws: not read, not "none".
      foreach ($f in [System.IO.Directory]::EnumerateFiles((Convert-Path -LiteralPath $found))) {
        if ([string]::Equals([System.IO.Path]::GetFileName($f), 'web.config', [StringComparison]::OrdinalIgnoreCase)) { $file = $f; break }
      }
      if ($null -eq $file) { return @{ value = $null } }
      if ((New-Object System.IO.FileInfo($file)).Length -gt $script:WebConfigMaxBytes) { $why = 'larger than 1 MiB' }
      else { return @{ value = [System.IO.File]::ReadAllText($file) } }
    } catch {
      $why = [string]$_.Exception.Message
    }
  }
  [void]$Notes.Add('web.config not read in ' + $Folder + ', impersonation there is unknown: ' + $why)
  $null
}

# Every distinct folder the sites' applications and virtual directories map in applicationHost.config
# (configuration/system.applicationHost/sites/site/application/virtualDirectory/@physicalPath, the
# elements core/evidence/applicationHost.ts reads, in document order), keyed as the file writes it ->
# its web.config text, or $null when it has none. $null (no webConfigs at all) when the file does not
# parse. Read-only; no folder but those the file names.
function Get-WsusWebConfigs([string]$Config, $Notes) {
  try { $doc = [xml]$Config } catch { $doc = $null }
  if ($null -eq $doc -or $null -eq $doc.DocumentElement -or $doc.DocumentElement.Name -cne 'configuration') {
    [void]$Notes.Add('web.config files not read: applicationHost.config does not parse')
    return $null
  }
  $vdirs = $doc.SelectNodes("/*[name()='configuration']/*[name()='system.applicationHost']/*[name()='sites']/*[name()='site']/*[name()='application']/*[name()='virtualDirectory']")
  $seen = New-Object 'System.Collections.Generic.HashSet[string]' ([StringComparer]::OrdinalIgnoreCase)
  $out = [ordered]@{}
  $over = 0
  foreach ($v in $vdirs) {
    $folder = $v.GetAttribute('physicalPath')
    if ($folder -eq '' -or -not $seen.Add($folder)) { continue }
    if ($seen.Count -gt $script:WebConfigMaxFolders) { $over++; continue }
    $read = Read-WsusWebConfig $folder $Notes
    if ($null -ne $read) { $out[$folder] = $read.value }
  }
  if ($over -gt 0) {
    [void]$Notes.Add('web.config not read in ' + $over + ' more folder(s), at most ' + $script:WebConfigMaxFolders + ' are read: impersonation there is unknown')
  }
  $out
}

function Get-WsusEvidence($Params) {
  # Hash before reading: an edit after the read changes the hash, so an apply's drift guard refuses it.
  $hash = Get-WsusConfigHash
  $config = [System.IO.File]::ReadAllText((Convert-Path -LiteralPath (Get-WsusConfigPath)))
  # What a person should know about this read (a part not read: its rules say unknown).
  $notes = New-Object System.Collections.ArrayList
  # Only for the health rules (params.health): a default read runs no console program.
  $runtime = $null
  $webConfigs = $null
  if ($Params.PSObject.Properties['health'] -and $Params.health) {
    $runtime = Get-WsusRuntime $notes
    $webConfigs = Get-WsusWebConfigs $config $notes
  }
  $acls = [ordered]@{}
  $sids = New-Object System.Collections.Generic.List[string]
  foreach ($p in @($Params.aclPaths)) {
    $found = Resolve-WsusPath $p
    if ($found) {
      $sddl = Get-WsusAclSddl $found
      $acls[$p] = [ordered]@{ sddl = $sddl }
      foreach ($m in [regex]::Matches($sddl, 'S-1-[0-9]+(-[0-9]+)+')) { if (-not $sids.Contains($m.Value)) { $sids.Add($m.Value) } }
    }
  }
  # Names for the SIDs the ACLs hold: a local account (IUSR_<COMPUTERNAME>) has no well-known SID.
  $accounts = [ordered]@{}
  if ($sids.Count -gt 0) { $accounts = Resolve-WsusSids $sids.ToArray() }
  $groups = [ordered]@{}
  foreach ($sid in @($Params.groups)) {
    $g = Get-WsusLocalGroup $sid
    if ($null -ne $g) { $groups[$sid] = $g }
  }
  $files = [ordered]@{}
  foreach ($d in @($Params.fileDirs)) { $files[$d] = Get-WsusFiles $d }
  # SharePoint's managed paths cannot be read version-independently: report only whether it is there.
  $wss = @(Get-WsusRegistrySubkeys 'HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Shared Tools\Web Server Extensions' | Where-Object { $_ -match '^\d+\.\d+$' })
  $sharePoint = if ($wss.Count -gt 0) { [ordered]@{ installed = $true } } else { [ordered]@{ installed = $false; excludedPaths = @() } }
  $environment = [ordered]@{}
  foreach ($name in @('SystemDrive', 'SystemRoot', 'windir', 'ProgramFiles', 'ProgramData')) {
    $value = [Environment]::GetEnvironmentVariable($name)
    if ($value) { $environment[$name] = $value }
  }
  $evidence = [ordered]@{
    schema                = 'wsus-iis/evidence@2'
    computerName          = $env:COMPUTERNAME
    collectedAt           = (Get-Date).ToUniversalTime().ToString('o')
    applicationHostConfig = $config
    acls                  = $acls
    accounts              = $accounts
    localGroups           = $groups
    files                 = $files
    sharePoint            = $sharePoint
    environment           = $environment
    agent                 = [ordered]@{
      version     = $script:AgentVersion
      powershell  = $PSVersionTable.PSVersion.ToString()
      culture     = [System.Globalization.CultureInfo]::CurrentCulture.Name
      oemCodePage = Get-WsusOemCodePage
    }
  }
  if (-not $evidence.computerName) { $evidence.Remove('computerName') }
  if ($null -ne $runtime) { $evidence.runtime = $runtime }
  if ($null -ne $webConfigs) { $evidence.webConfigs = $webConfigs }
  [ordered]@{ configHash = $hash; evidence = $evidence; notes = @($notes) }
}

# ---- the journal: what each apply did, so the next round trip can tell a finished or interrupted one ----

function Get-WsusJournalDir { Join-Path (Get-WsusStateDir) 'journal' }

function Write-WsusJournal($Entry) {
  $dir = Get-WsusJournalDir
  if (-not (Test-Path -LiteralPath $dir)) { [void](New-Item -ItemType Directory -Force -Path $dir) }
  $file = Join-Path $dir ($Entry.backupName + '.json')
  $tmp = $file + '.tmp'
  $utf8 = New-Object System.Text.UTF8Encoding($false)
  [System.IO.File]::WriteAllText((Join-Path (Convert-Path -LiteralPath $dir) ($Entry.backupName + '.json.tmp')), (ConvertTo-WsusJson $Entry), $utf8)
  Move-Item -LiteralPath $tmp -Destination $file -Force
}

# Earlier applies, newest first. One whose journal still says `running` while nobody holds the mutex
# was interrupted (its process died: a dropped ssh session may kill it, Win32-OpenSSH #1195, #1642).
function Get-WsusJournal([bool]$LockHeldByUs, $Mutex) {
  $dir = Get-WsusJournalDir
  if (-not (Test-Path -LiteralPath $dir)) { return ,@() }
  $entries = New-Object System.Collections.ArrayList
  foreach ($f in @(Get-ChildItem -LiteralPath $dir -Filter '*.json' -File -ErrorAction SilentlyContinue)) {
    try { [void]$entries.Add((ConvertFrom-Json -InputObject ([System.IO.File]::ReadAllText($f.FullName)))) } catch { }
  }
  $sorted = @($entries | Sort-Object -Property startedAt -Descending)
  $running = @($sorted | Where-Object { $_.state -eq 'running' })
  $someoneRunning = $false
  if ($running.Count -gt 0 -and -not $LockHeldByUs) { $someoneRunning = -not (Test-WsusMutexFree $Mutex) }
  $out = New-Object System.Collections.ArrayList
  foreach ($e in $sorted) {
    $state = [string]$e.state
    if ($state -eq 'running' -and -not $someoneRunning) { $state = 'interrupted' }
    [void]$out.Add([ordered]@{
        backupName = [string]$e.backupName; state = $state; status = $e.status
        startedAt = (ConvertTo-WsusTimestamp $e.startedAt); finishedAt = (ConvertTo-WsusTimestamp $e.finishedAt)
        stepsRun = [int]$e.stepsRun; stepsTotal = [int]$e.stepsTotal
      })
  }
  # Keep the newest few; older journals are ours to delete.
  for ($i = $script:JournalKeep; $i -lt $sorted.Count; $i++) {
    Remove-Item -LiteralPath (Join-Path $dir ($sorted[$i].backupName + '.json')) -Force -ErrorAction SilentlyContinue
  }
  ,@($out | Select-Object -First 5)
}

# PowerShell 7's ConvertFrom-Json turns ISO 8601 strings into DateTime (5.1 leaves them strings):
# timestamps go back out in the one format the journal writes.
function ConvertTo-WsusTimestamp($Value) {
  if ($null -eq $Value) { return $null }
  if ($Value -is [datetime]) { return $Value.ToUniversalTime().ToString('o') }
  [string]$Value
}

function Test-WsusMutexFree($Mutex) {
  try {
    if ($Mutex.WaitOne(0)) { $Mutex.ReleaseMutex(); return $true }
    return $false
  } catch [System.Threading.AbandonedMutexException] {
    $Mutex.ReleaseMutex()
    return $true
  }
}

# ---- the two operations ----

function Invoke-WsusCollect($Params) {
  $mutex = New-Object System.Threading.Mutex($false, $script:MutexName)
  try {
    $journal = Get-WsusJournal $false $mutex
  } finally { $mutex.Dispose() }
  $read = Get-WsusEvidence $Params
  [ordered]@{ op = 'collect'; ok = $true; configHash = $read.configHash; evidence = $read.evidence; journal = $journal; notes = @($read.notes) }
}

function Invoke-WsusApply($A) {
  $results = New-Object System.Collections.ArrayList
  $rollback = New-Object System.Collections.ArrayList
  $notes = New-Object System.Collections.ArrayList
  $mutex = New-Object System.Threading.Mutex($false, $script:MutexName)
  $held = $false
  try {
    # One writer per server: a second apply waits, and is refused after lockTimeoutMs.
    try { $held = $mutex.WaitOne([int]$A.lockTimeoutMs) } catch [System.Threading.AbandonedMutexException] {
      $held = $true
      [void]$notes.Add('the previous holder of ' + $script:MutexName + ' ended without releasing it (an interrupted apply)')
    }
    $journal = Get-WsusJournal $held $mutex
    if (-not $held) {
      return (Complete-WsusApply 'refused-busy' $null $results $null $rollback $notes $journal $A)
    }
    if ((Get-WsusConfigHash) -ne $A.expectedConfigHash) {
      return (Complete-WsusApply 'refused-drift' $null $results $null $rollback $notes $journal $A)
    }
    $stateDir = Get-WsusStateDir
    if (-not (Test-Path -LiteralPath $stateDir)) { [void](New-Item -ItemType Directory -Force -Path $stateDir) }
    $entry = [ordered]@{
      schema = 'wsus-iis/journal@1'; backupName = $A.backupName; state = 'running'; status = $null
      startedAt = (Get-Date).ToUniversalTime().ToString('o'); finishedAt = $null
      stepsRun = 0; stepsTotal = @($A.steps).Count
    }
    Write-WsusJournal $entry
    $backup = $null
    $failed = $null
    try {
      # Guards first: nothing is changed unless every backup was taken.
      foreach ($g in @($A.guards)) {
        $r = Invoke-WsusLine 0 $g.command
        [void]$results.Add($r)
        if ($r.exitCode -ne 0) { $failed = $r; break }
        if ($g.kind -eq 'iis-backup') { $backup = $A.backupName }
      }
      # Someone else's edit of applicationHost.config during the apply shows as a hash that is not the one
      # this apply's own last command left; a restore of the backup would then wipe that edit.
      $lastHash = Get-WsusConfigHash
      $foreignEdit = $false
      if (-not $failed) {
        foreach ($step in @($A.steps)) {
          $beforeStep = Get-WsusConfigHash
          if ($beforeStep -ne $lastHash) { $foreignEdit = $true }
          $r = Invoke-WsusLine $step.index $step.command
          [void]$results.Add($r)
          $lastHash = Get-WsusConfigHash
          # A failing command writes nothing (appcmd commits only on success); a file that changed across
          # one was changed by someone else, or in a way a restore cannot be trusted to undo safely.
          $ok = $script:SuccessCodes -contains [int]$r.exitCode
          if (-not $ok -and $lastHash -ne $beforeStep) { $foreignEdit = $true }
          $entry.stepsRun = $entry.stepsRun + 1
          Write-WsusJournal $entry
          if (-not $ok) { $failed = $r; break }
        }
      }
      if (-not $failed) {
        $status = 'applied'
      } elseif ($failed.index -eq 0) {
        $status = 'rolled-back'
      } else {
        foreach ($u in @($A.rollback)) {
          if ($u.kind -eq 'iis-restore' -and ($foreignEdit -or (Get-WsusConfigHash) -ne $lastHash)) {
            # Someone else wrote applicationHost.config during this apply: restoring the backup over
            # it would wipe their change. Left for a person, with the backup name.
            [void]$notes.Add('applicationHost.config changed during the apply, not by it: backup ' + $A.backupName + ' was not restored')
            [void]$rollback.Add([ordered]@{ index = 0; command = $u.command; exitCode = -1; stdout = ''; stderr = 'skipped: applicationHost.config changed by someone else during the apply' })
            continue
          }
          if ($u.kind -eq 'group-undo' -and [int]$u.afterStep -ge [int]$failed.index) { continue }
          [void]$rollback.Add((Invoke-WsusLine 0 $u.command))
        }
        $bad = @($rollback | Where-Object { $_.exitCode -ne 0 })
        $status = if ($bad.Count -eq 0) { 'rolled-back' } else { 'rollback-failed' }
      }
      $entry.state = 'finished'
      $entry.status = $status
      $entry.finishedAt = (Get-Date).ToUniversalTime().ToString('o')
      Write-WsusJournal $entry
    } catch {
      $entry.state = 'finished'
      $entry.status = 'agent-error'
      $entry.finishedAt = (Get-Date).ToUniversalTime().ToString('o')
      try { Write-WsusJournal $entry } catch { }
      throw
    }
    return (Complete-WsusApply $status $backup $results $failed $rollback $notes $journal $A)
  } finally {
    if ($held) { $mutex.ReleaseMutex() }
    $mutex.Dispose()
  }
}

function Complete-WsusApply($Status, $Backup, $Results, $Failed, $Rollback, $Notes, $Journal, $A) {
  $read = Get-WsusEvidence $A.collect
  foreach ($n in @($read.notes)) { [void]$Notes.Add($n) }
  $reboot = @($Results | Where-Object { $_.index -gt 0 -and $script:RebootCodes -contains [int]$_.exitCode }).Count -gt 0
  [ordered]@{
    op = 'apply'; ok = ($Status -eq 'applied'); status = $Status; backupName = $Backup
    results = @($Results); failed = $Failed; rollback = @($Rollback); notes = @($Notes); rebootRequired = $reboot
    configHash = $read.configHash; evidence = $read.evidence; journal = $Journal
  }
}

# ---------------------------------------------------------------------------------------------------
if ($RequestJson) {
  $request = ConvertFrom-Json -InputObject $RequestJson
  if ($request.op -eq 'collect') { $response = Invoke-WsusCollect $request.params }
  elseif ($request.op -eq 'apply') { $response = Invoke-WsusApply $request.params }
  else { throw ('unknown op ' + [string]$request.op) }
  ConvertTo-WsusJson $response
}
