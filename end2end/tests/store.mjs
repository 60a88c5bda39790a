// Reads what the server stored, straight from its SQLite file, with the
// Python standard library (present on every machine this project targets).
import { execFileSync } from "node:child_process";

const DATABASE = process.env.LODESTAR_DB ?? "data/lodestar.db";

export function storedLead(reference) {
  const script = `
import json, sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
row = db.execute("SELECT name, email, message FROM sales_leads WHERE reference = ?", (sys.argv[2],)).fetchone()
print(json.dumps(dict(zip(["name", "email", "message"], row)) if row else None))
`;
  return JSON.parse(execFileSync("python3", ["-c", script, DATABASE, reference], { encoding: "utf8" }));
}
