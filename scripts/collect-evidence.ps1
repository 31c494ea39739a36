<#
.SYNOPSIS
  Collects the wsus-iis/evidence@1 bundle of this WSUS server and prints it as JSON (one round trip).

.DESCRIPTION
  Read-only: it reads applicationHost.config, runs icacls on the WSUS folders, `net localgroup` on the
  groups, lists the SelfUpdate files and looks for SharePoint. Nothing is changed. Output is raw text as
  the commands print it, so `wsus-iis check --evidence FILE` can judge it offline (e.g. in CI).

  Usage on the server (elevated, so applicationHost.config and the ACLs are readable):
    powershell.exe -NoProfile -ExecutionPolicy Bypass -File collect-evidence.ps1 > evidence.json

.PARAMETER InstallDir
  WSUS install dir; default: registry HKLM\SOFTWARE\Microsoft\Update Services\Server\Setup\TargetDir,
  else "$env:ProgramFiles\Update Services".
.PARAMETER SelfUpdatePath
  Default: <InstallDir>\Selfupdate.
.PARAMETER Groups
  Local groups to list (default: Users).
.PARAMETER SharePointExcludedPaths
  SharePoint's excluded managed paths, if SharePoint is installed (there is no version-independent
  command that lists them; copy them from Central Administration / stsadm).
#>
[CmdletBinding()]
param(
  [string]$InstallDir,
  [string]$SelfUpdatePath,
  [string[]]$Groups = @('Users'),
  [string[]]$SharePointExcludedPaths = @()
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 2

function Invoke-Raw([string]$exe, [string[]]$arguments) {
  # Native output as the command prints it (the parsers expect the real format); stderr folded in.
  $out = & $exe @arguments 2>&1 | Out-String
  return $out
}

if (-not $InstallDir) {
  $setup = Get-ItemProperty -Path 'HKLM:\SOFTWARE\Microsoft\Update Services\Server\Setup' -ErrorAction SilentlyContinue
  if ($setup -and $setup.PSObject.Properties['TargetDir']) { $InstallDir = $setup.TargetDir.TrimEnd('\') }
  else { $InstallDir = Join-Path $env:ProgramFiles 'Update Services' }
}
if (-not $SelfUpdatePath) { $SelfUpdatePath = Join-Path $InstallDir 'Selfupdate' }

$appHost = Join-Path $env:windir 'System32\inetsrv\config\applicationHost.config'
$evidence = [ordered]@{
  schema                = 'wsus-iis/evidence@1'
  computerName          = $env:COMPUTERNAME
  collectedAt           = (Get-Date).ToUniversalTime().ToString('o')
  applicationHostConfig = [System.IO.File]::ReadAllText($appHost)
  acls                  = [ordered]@{}
  localGroups           = [ordered]@{}
  files                 = [ordered]@{}
  environment           = [ordered]@{
    SystemDrive  = $env:SystemDrive
    SystemRoot   = $env:SystemRoot
    windir       = $env:windir
    ProgramFiles = $env:ProgramFiles
  }
}

foreach ($dir in @($SelfUpdatePath,
    (Join-Path $InstallDir 'WebServices\ClientWebService'),
    (Join-Path $InstallDir 'WebServices\SimpleAuthWebService'))) {
  if (Test-Path -LiteralPath $dir) { $evidence.acls[$dir] = Invoke-Raw 'icacls.exe' @($dir) }
}
foreach ($g in $Groups) { $evidence.localGroups[$g] = Invoke-Raw 'net.exe' @('localgroup', $g) }

if (Test-Path -LiteralPath $SelfUpdatePath) {
  $root = (Resolve-Path -LiteralPath $SelfUpdatePath).ProviderPath.TrimEnd('\') + '\'
  $evidence.files[$SelfUpdatePath] = @(Get-ChildItem -LiteralPath $SelfUpdatePath -Recurse -File -Force |
      ForEach-Object { $_.FullName.Substring($root.Length) })
} else {
  $evidence.files[$SelfUpdatePath] = @()
}

$wss = Get-ChildItem 'HKLM:\SOFTWARE\Microsoft\Shared Tools\Web Server Extensions' -ErrorAction SilentlyContinue |
  Where-Object { $_.PSChildName -match '^\d+\.\d+$' }
$evidence.sharePoint = [ordered]@{ installed = [bool]$wss; excludedPaths = @($SharePointExcludedPaths) }

$evidence | ConvertTo-Json -Depth 6 -Compress
