<#
.SYNOPSIS
  Collects the wsus-iis/evidence@2 bundle of this WSUS server (read-only), for `wsus-iis check --evidence`.

.DESCRIPTION
  Reads what the wsus-iis agent reads on a live check, with the agent's own code (agent.ps1 must sit
  next to this script): applicationHost.config, the ACLs of the WSUS folders as SDDL (trustees by SID,
  so the bundle reads the same on an English, German or French server), the local Users group by its
  SID with its members' SIDs, the SelfUpdate files, and whether SharePoint is installed. Nothing is
  changed.

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
}
$evidence = (Get-WsusEvidence $params).evidence
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
