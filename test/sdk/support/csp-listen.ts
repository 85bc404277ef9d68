// Loaded first by the CSP host page: records every Content-Security-Policy violation.
declare global {
  interface Window {
    cspViolations: string[];
  }
}
window.cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.cspViolations.push(`${e.violatedDirective}: ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
export {};
