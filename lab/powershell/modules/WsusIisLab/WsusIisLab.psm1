<#
  The lab's Windows API adapter for scripts/agent.ps1 (PowerShell 7 on Linux has no Get-Acl, ADSI or
  registry). It defines exactly the four functions of the agent's adapter block, and answers them from
  the lab's emulation (lab/windowsApi.ts) through the lab's host program (lab/shim.ts), the same code the
  TypeScript agent's lab host uses. Nothing else of the agent is replaced.

  The lab's launcher (lab/powershell/launcher.ts) sets WSUS_IIS_LAB_NODE, WSUS_IIS_LAB_SHIM and
  WSUS_IIS_LAB_DIR, and puts this module on PSModulePath.
#>
Set-StrictMode -Version 2
$ErrorActionPreference = 'Stop'

function Invoke-WsusLabHost([string[]]$Arguments) {
  if (-not $env:WSUS_IIS_LAB_SHIM -or -not $env:WSUS_IIS_LAB_DIR) {
    throw 'WsusIisLab: no lab (WSUS_IIS_LAB_SHIM / WSUS_IIS_LAB_DIR unset); this agent needs Windows or the wsus-iis lab'
  }
  $out = & $env:WSUS_IIS_LAB_NODE $env:WSUS_IIS_LAB_SHIM @Arguments
  if ($LASTEXITCODE -ne 0) { throw ('WsusIisLab: ' + ($Arguments -join ' ') + ' failed with exit code ' + $LASTEXITCODE) }
  ConvertFrom-Json -InputObject (($out | Out-String).Trim())
}

function Get-WsusAclSddl([string]$Path) {
  (Invoke-WsusLabHost @('sddl', $Path)).sddl
}

function Get-WsusLocalGroup([string]$Sid) {
  (Invoke-WsusLabHost @('group', $Sid)).group
}

function Resolve-WsusSids([string[]]$Sids) {
  $names = [ordered]@{}
  $found = (Invoke-WsusLabHost (@('accounts') + $Sids)).accounts
  foreach ($p in $found.PSObject.Properties) { $names[$p.Name] = $p.Value }
  $names
}

function Get-WsusRegistrySubkeys([string]$Key) {
  @((Invoke-WsusLabHost @('registry-subkeys', $Key)).subkeys)
}

Export-ModuleMember -Function Get-WsusAclSddl, Get-WsusLocalGroup, Resolve-WsusSids, Get-WsusRegistrySubkeys
