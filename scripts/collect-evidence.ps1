<#
.SYNOPSIS
  Collects the wsus-iis/evidence@2 bundle of this WSUS server (read-only), for `wsus-iis check --evidence`.

.DESCRIPTION
  Reads what the wsus-iis agent reads on a live check, with the agent's own code (agent.ps1 must sit
  next to this script): applicationHost.config, the ACLs of the WSUS folders as SDDL (trustees by SID,
  so the bundle reads the same on an English, German or French server), the local Users group by its
  SID with its members' SIDs, the SelfUpdate files, whether SharePoint is installed, and for the health
  rules (`--rules kb,health`):
    - runtime: the raw output of `%windir%\system32\inetsrv\appcmd.exe list site /xml` and
      `... list apppool /xml` (whether each site and application pool is started; the only programs
      this script runs, both read-only);
    - webConfigs: the web.config of every folder the sites' applications and virtual directories map
      in applicationHost.config (keyed as the file writes the path; null when the folder has none), for
      ASP.NET impersonation. At most 500 folders and 1 MiB per file.
  A part that cannot be read (appcmd fails, a web.config too large, a folder on a network share) is
  left out, its rules report "unknown", and a note saying so goes to standard error. Nothing is changed.

  Usage on the server (elevated, so applicationHost.config and the ACLs are readable):
    powershell.exe -NoProfile -ExecutionPolicy Bypass -File collect-evidence.ps1 -OutFile evidence.json

  -OutFile writes UTF-8 without a byte order mark. (Redirecting with `>` in Windows PowerShell 5.1
  writes UTF-16LE, about_Character_Encoding; wsus-iis reads that too, but -OutFile is the clean way.)
  The JSON is pure ASCII: every non-ASCII character is \u-escaped.

.PARAMETER InstallDir
  WSUS install dir; default: registry HKLM\SOFTWARE\Microsoft\Update Services\Server\Setup\TargetDir,
  else "$env:ProgramFiles\Update Services".
.PARAMETER SelfUpdatePath
  Default: <InstallDir>\Selfupdate.
.PARAMETER GroupSids
  Local groups to read, by SID (default: Users, S-1-5-32-545, whatever its name on this server).
.PARAMETER SharePointExcludedPaths
  SharePoint's excluded managed paths, if SharePoint is installed (no version-independent command lists
  them; copy them from Central Administration). Without them, the SharePoint check reports "unknown".
.PARAMETER OutFile
  Write the bundle to this file (UTF-8, no BOM) instead of standard output.
#>
[CmdletBinding()]
param(
  [string]$InstallDir,
  [string]$SelfUpdatePath,
  [string[]]$GroupSids = @('S-1-5-32-545'),
  [string[]]$SharePointExcludedPaths,
  [string]$OutFile
)
Set-StrictMode -Version 2
$ErrorActionPreference = 'Stop'

# The agent's functions, without running it (it runs only when given a request).
. (Join-Path $PSScriptRoot 'agent.ps1')

if (-not $InstallDir) {
  $setup = Get-ItemProperty -Path 'HKLM:\SOFTWARE\Microsoft\Update Services\Server\Setup' -ErrorAction SilentlyContinue
  if ($setup -and $setup.PSObject.Properties['TargetDir']) { $InstallDir = ([string]$setup.TargetDir).TrimEnd('\') }
  else { $InstallDir = Join-WsusPath $env:ProgramFiles 'Update Services' }
}
if (-not $SelfUpdatePath) { $SelfUpdatePath = Join-WsusPath $InstallDir 'Selfupdate' }

$params = [pscustomobject]@{
  aclPaths = @($SelfUpdatePath, (Join-WsusPath $InstallDir 'WebServices\ClientWebService'), (Join-WsusPath $InstallDir 'WebServices\SimpleAuthWebService'))
  fileDirs = @($SelfUpdatePath)
  groups   = @($GroupSids)
  health   = $true
}
$read = Get-WsusEvidence $params
$evidence = $read.evidence
# Parts not read (their rules say unknown): on standard error, so standard output stays the JSON alone.
foreach ($n in @($read.notes)) { [Console]::Error.WriteLine('note: ' + $n) }
if ($PSBoundParameters.ContainsKey('SharePointExcludedPaths')) {
  $evidence.sharePoint = [ordered]@{ installed = [bool]$evidence.sharePoint.installed; excludedPaths = @($SharePointExcludedPaths) }
}
$json = ConvertTo-WsusJson $evidence
if ($OutFile) {
  $full = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($OutFile)
  [System.IO.File]::WriteAllText($full, $json, (New-Object System.Text.UTF8Encoding($false)))
} else {
  $json
}
