// Type-checks the ```ts blocks of the course in one TypeScript program: each
// block is a virtual module under the repo root (so packages resolve as they
// would for a learner's file), compiled with the repo's tsconfig options.
import * as path from "node:path";
import ts from "typescript";
import { REPO_ROOT } from "../../orchestration/paths.js";
import type { CodeBlock } from "./markdown.js";

export interface SnippetResult {
  block: CodeBlock;
  errors: string[];
}

export function typecheckSnippets(blocks: CodeBlock[]): SnippetResult[] {
  const configPath = path.join(REPO_ROOT, "tsconfig.json");
  const config = ts.readConfigFile(configPath, ts.sys.readFile);
  const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, REPO_ROOT);

  const virtual = new Map<string, { block: CodeBlock; text: string }>();
  blocks.forEach((block, index) => {
    const name = path.join(REPO_ROOT, ".snippets", `${path.basename(block.file, ".md")}-${block.line}-${index}.ts`);
    // `export {}` keeps each block a module of its own, as a file would be.
    virtual.set(name, { block, text: `${block.value}\nexport {};\n` });
  });

  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (file) => virtual.has(path.resolve(file)) || fileExists.call(host, file);
  host.readFile = (file) => virtual.get(path.resolve(file))?.text ?? readFile.call(host, file);
  host.getSourceFile = (file, languageVersion, onError, shouldCreate) => {
    const entry = virtual.get(path.resolve(file));
    if (entry) return ts.createSourceFile(file, entry.text, languageVersion, true);
    return getSourceFile.call(host, file, languageVersion, onError, shouldCreate);
  };

  const program = ts.createProgram({ rootNames: [...virtual.keys()], options: { ...options, noEmit: true }, host });
  return [...virtual.entries()].map(([name, { block }]) => {
    const source = program.getSourceFile(name);
    const diagnostics = source ? [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)] : [];
    const errors = diagnostics.map((d) => {
      const where = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined;
      const line = where ? block.line + 1 + where.line : block.line;
      return `${path.relative(REPO_ROOT, block.file)}:${line}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
    });
    return { block, errors };
  });
}
