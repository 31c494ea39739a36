# wsus-iis agent for Windows hosts: one JSON request in, one JSON response out (core/agent/protocol.ts).
# The client sends this script on the standard input of `powershell.exe -NoProfile -NonInteractive
# -ExecutionPolicy Bypass -Command -`, preceded by `$RequestJson = @'<one line of JSON>'@`.
# It mirrors core/agent/runner.ts (the lab runs that one); keep the two in step.
# Read-only for `collect`. For `apply`: refuses if applicationHost.config changed since it was read,
# takes `appcmd add backup` and `icacls /save` first, runs the plan's command lines in order, stops at
# the first failure and restores, then reads the state back in the same round trip.
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 2
if (-not (Get-Variable -Name RequestJson -ErrorAction SilentlyContinue)) { throw 'no $RequestJson given' }
$req = $RequestJson | ConvertFrom-Json
$appcmd = Join-Path $env:windir 'system32\inetsrv\appcmd.exe'
$configPath = Join-Path $env:windir 'System32\inetsrv\config\applicationHost.config'

function Invoke-Line([int]$index, [string]$line) {
  # Each plan step is one cmd.exe command line, exactly as `wsus-iis plan` prints it.
  $psi = New-Object System.Diagnostics.ProcessStartInfo
  $psi.FileName = Join-Path $env:windir 'System32\cmd.exe'
  $psi.Arguments = '/d /s /c "' + $line + '"'
  $psi.UseShellExecute = $false
  $psi.RedirectStandardOutput = $true
  $psi.RedirectStandardError = $true
  $p = [System.Diagnostics.Process]::Start($psi)
  $out = $p.StandardOutput.ReadToEndAsync()
  $err = $p.StandardError.ReadToEndAsync()
  $p.WaitForExit()
  [ordered]@{ index = $index; command = $line; exitCode = $p.ExitCode; stdout = $out.Result; stderr = $err.Result }
}

function Get-ConfigHash { (Get-FileHash -LiteralPath $configPath -Algorithm SHA256).Hash.ToLowerInvariant() }

function Get-Evidence($params) {
  $ev = [ordered]@{
    schema                = 'wsus-iis/evidence@1'
    computerName          = $env:COMPUTERNAME
    collectedAt           = (Get-Date).ToUniversalTime().ToString('o')
    applicationHostConfig = [System.IO.File]::ReadAllText($configPath)
    acls                  = [ordered]@{}
    localGroups           = [ordered]@{}
    files                 = [ordered]@{}
    environment           = [ordered]@{ SystemDrive = $env:SystemDrive; SystemRoot = $env:SystemRoot; windir = $env:windir; ProgramFiles = $env:ProgramFiles }
  }
  foreach ($p in @($params.aclPaths)) {
    $r = Invoke-Line 0 ('icacls "' + $p + '"')
    if ($r.exitCode -eq 0) { $ev.acls[$p] = $r.stdout }
  }
  foreach ($g in @($params.groups)) {
    $r = Invoke-Line 0 ('net localgroup "' + $g + '"')
    if ($r.exitCode -eq 0) { $ev.localGroups[$g] = $r.stdout }
  }
  foreach ($d in @($params.fileDirs)) {
    if (Test-Path -LiteralPath $d) {
      $root = (Resolve-Path -LiteralPath $d).ProviderPath.TrimEnd('\') + '\'
      $ev.files[$d] = @(Get-ChildItem -LiteralPath $d -Recurse -File -Force | ForEach-Object { $_.FullName.Substring($root.Length) })
    } else { $ev.files[$d] = @() }
  }
  # SharePoint's excluded paths cannot be read version-independently: report it only when absent,
  # so the SharePoint rule says "unknown" instead of guessing when it is installed.
  $wss = Get-ChildItem 'HKLM:\SOFTWARE\Microsoft\Shared Tools\Web Server Extensions' -ErrorAction SilentlyContinue | Where-Object { $_.PSChildName -match '^\d+\.\d+$' }
  if (-not $wss) { $ev.sharePoint = [ordered]@{ installed = $false; excludedPaths = @() } }
  $ev
}

function Complete-Apply($status, $backup, $results, $failed, $rollback) {
  [ordered]@{
    op = 'apply'; ok = ($status -eq 'applied'); status = $status; backupName = $backup
    results = @($results); failed = $failed; rollback = @($rollback)
    configHash = (Get-ConfigHash); evidence = (Get-Evidence $req.params.collect)
  }
}

if ($req.op -eq 'collect') {
  $response = [ordered]@{ op = 'collect'; ok = $true; configHash = (Get-ConfigHash); evidence = (Get-Evidence $req.params) }
} elseif ($req.op -eq 'apply') {
  $a = $req.params
  $results = New-Object System.Collections.ArrayList
  $rollback = New-Object System.Collections.ArrayList
  $backup = $null
  if ((Get-ConfigHash) -ne $a.expectedConfigHash) {
    $response = Complete-Apply 'refused-drift' $null $results $null $rollback
  } else {
    $saves = @()
    $i = 0
    foreach ($p in @($a.aclPaths)) { $saves += ,@($p, (Join-Path $env:windir ("Temp\{0}-acl-{1}.txt" -f $a.backupName, $i))); $i++ }
    $guardFailed = $null
    if ($a.touchesIis) {
      $backup = $a.backupName
      $r = Invoke-Line 0 ('"' + $appcmd + '" add backup "' + $a.backupName + '"'); [void]$results.Add($r)
      if ($r.exitCode -ne 0) { $guardFailed = $r }
    }
    foreach ($s in $saves) {
      if ($guardFailed) { break }
      $r = Invoke-Line 0 ('icacls "' + $s[0] + '" /save "' + $s[1] + '"'); [void]$results.Add($r)
      if ($r.exitCode -ne 0) { $guardFailed = $r }
    }
    if ($guardFailed) {
      $response = Complete-Apply 'rolled-back' $backup $results $guardFailed $rollback
    } else {
      $failed = $null
      foreach ($step in @($a.steps)) {
        $r = Invoke-Line $step.index $step.command; [void]$results.Add($r)
        if ($r.exitCode -ne 0) { $failed = $r; break }
      }
      if (-not $failed) {
        $response = Complete-Apply 'applied' $backup $results $null $rollback
      } else {
        if ($a.touchesIis) { [void]$rollback.Add((Invoke-Line 0 ('"' + $appcmd + '" restore backup "' + $a.backupName + '"'))) }
        foreach ($s in $saves) { [void]$rollback.Add((Invoke-Line 0 ('icacls "' + (Split-Path -Parent $s[0]) + '" /restore "' + $s[1] + '"'))) }
        foreach ($g in @($a.groupAdds)) {
          if ($g.index -lt $failed.index) { [void]$rollback.Add((Invoke-Line 0 ('net localgroup "' + $g.group + '" "' + $g.member + '" /delete'))) }
        }
        $status = if (@($rollback | Where-Object { $_.exitCode -ne 0 }).Count -eq 0) { 'rolled-back' } else { 'rollback-failed' }
        $response = Complete-Apply $status $backup $results $failed $rollback
      }
    }
  }
} else { throw ('unknown op ' + $req.op) }

try { [Console]::Out.Write(($response | ConvertTo-Json -Depth 8 -Compress)) } catch { }
