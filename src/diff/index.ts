export { diffFindings, conclusionFor, atOrAbove, compareFindings, type FindingsDiff, type Conclusion } from "./findings.js";
