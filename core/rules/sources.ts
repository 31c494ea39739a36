/**
 * Microsoft articles behind the rules (SARIF helpUri, report links). Paths as in
 * MicrosoftDocs/SupportArticles-docs; ../shared/fixtures/ms-docs/ holds the excerpts with their commits.
 */
export const KB920659 = "https://learn.microsoft.com/troubleshoot/windows-server/installing-updates-features-roles/wsus-selfupdate-not-send-automatic-updates";
export const KB4490414 = "https://learn.microsoft.com/troubleshoot/mem/configmgr/update-management/windows-server-update-services-best-practices";
export const KB2737219 = "https://learn.microsoft.com/troubleshoot/windows-server/installing-updates-features-roles/cannot-connect-to-wsus-administration-website";
