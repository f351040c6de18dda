// One Lambda per route group: a NodejsFunction (esbuild, ESM, arm64) whose bundle is split so
// each source driver is its own chunk, loaded on first use: a function pays at cold start only
// for the drivers it opens (the pull, ingest and webhook functions open none).
import path from "node:path";
import { Duration, type RemovalPolicy } from "aws-cdk-lib";
import { Architecture, Runtime } from "aws-cdk-lib/aws-lambda";
import { LogLevel, NodejsFunction, OutputFormat } from "aws-cdk-lib/aws-lambda-nodejs";
import { LogGroup, type RetentionDays } from "aws-cdk-lib/aws-logs";
import type { Construct } from "constructs";

export const projectRoot = path.resolve(import.meta.dirname, "..");

// ESM bundles of CommonJS dependencies still call require().
const REQUIRE_SHIM = "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";
const TARGET = "node22";
// The AWS SDK is in the Lambda runtime. Native addons (ssh2's optional crypto binding and
// cpu-features) are left out: each is loaded in a try, and ssh2 falls back to Node's crypto.
const EXTERNALS = ["@aws-sdk/*", "@smithy/*", "*.node"];

export interface SluiceFunctionProps {
  /** The handler file under functions/. */
  entry: string;
  description: string;
  environment: Record<string, string>;
  memorySize?: number;
  timeout?: Duration;
  logRetention: RetentionDays;
  removalPolicy: RemovalPolicy;
  /** A fixed name, where the function must know its own ARN before it exists (the worker invokes itself). */
  functionName?: string;
  /**
   * Files of installed packages the code reads at run time rather than imports (`swagger-ui-dist/swagger-ui.css`),
   * copied to the same path under the bundle's node_modules, where Node's resolution finds them.
   */
  packageFiles?: string[];
}

export class SluiceFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: SluiceFunctionProps) {
    const entry = path.join(projectRoot, "functions", props.entry);
    super(scope, id, {
      entry,
      projectRoot,
      depsLockFilePath: path.join(projectRoot, "package-lock.json"),
      description: props.description,
      functionName: props.functionName,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(29),
      environment: props.environment,
      logGroup: new LogGroup(scope, `${id}Logs`, { retention: props.logRetention, removalPolicy: props.removalPolicy }),
      bundling: {
        format: OutputFormat.ESM,
        minify: true,
        sourceMap: false,
        target: TARGET,
        externalModules: EXTERNALS,
        banner: REQUIRE_SHIM,
        logLevel: LogLevel.ERROR, // its single file is replaced below; its size warning is noise
        // NodejsFunction bundles to one --outfile, which esbuild cannot split. The hook bundles
        // the same entry again with code splitting into the asset, replacing that single file.
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (_inputDir: string, outputDir: string) => [splitBundleCommand(entry, outputDir), ...copyCommands(props.packageFiles ?? [], outputDir)],
        },
      },
    });
  }
}

function splitBundleCommand(entry: string, outputDir: string): string {
  const esbuild = path.join(projectRoot, "node_modules", ".bin", "esbuild");
  const args = [
    entry,
    "--bundle",
    "--splitting",
    "--platform=node",
    "--format=esm",
    `--target=${TARGET}`,
    "--minify",
    `--outdir=${outputDir}`,
    "--entry-names=index",
    "--chunk-names=chunks/[name]-[hash]",
    "--out-extension:.js=.mjs",
    "--log-level=warning",
    ...EXTERNALS.map((name) => `--external:${name}`),
    `--banner:js=${REQUIRE_SHIM}`,
  ];
  return [esbuild, ...args].map(shellQuote).join(" ");
}

function copyCommands(files: string[], outputDir: string): string[] {
  return files.map((file) => {
    const target = path.join(outputDir, "node_modules", file);
    return ["mkdir", "-p", path.dirname(target)].map(shellQuote).join(" ") + " && " + ["cp", path.join(projectRoot, "node_modules", file), target].map(shellQuote).join(" ");
  });
}

function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}
