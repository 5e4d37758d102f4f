// edgeflow: the command-line entry point. Parses arguments and dispatches to
// a subcommand (src/app/*_command.cc).
#include <unistd.h>

#include <CLI/CLI.hpp>

#include "app/commands.h"

int main(int argc, char** argv) {
  using namespace edgeflow;
  CLI::App app{"edgeflow: an edge stream-processing runtime"};
  app.require_subcommand(1);
  app.set_version_flag("--version", EDGEFLOW_VERSION);

  RunOptions run;
  std::string log_format = "auto";
  auto* run_cmd = app.add_subcommand("run", "Run a pipeline file until stopped (SIGINT/SIGTERM) or its sources end");
  run_cmd->add_option("pipeline", run.pipeline_path, "Pipeline file (YAML)")->required();
  run_cmd->add_flag("--stats", run.print_stats, "Print every counter at exit");
  run_cmd->add_option("--log-format", log_format, "text | json | auto (json when stderr is not a terminal)")
      ->check(CLI::IsMember({"auto", "text", "json"}));
  run_cmd->add_option("--log-level", run.log_level, "debug | info | warn | error (default info)")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}));
  run_cmd->add_flag("--no-status", [&](int64_t) { run.status_line = false; }, "Do not print the status line");
  run_cmd->add_option("--duration", run.duration_seconds, "Stop after this many seconds");

  std::vector<std::string> check_paths;
  bool quiet = false;
  auto* check_cmd = app.add_subcommand("check", "Validate pipeline files without running them (exit 2 on errors)");
  check_cmd->add_option("pipelines", check_paths, "Pipeline files")->required();
  check_cmd->add_flag("-q,--quiet", quiet, "Print only errors");

  std::string docs_dir = "docs/reference";
  auto* docs_cmd = app.add_subcommand("docs", "Generate the reference pages of every source, stage and sink");
  docs_cmd->add_option("dir", docs_dir, "Output folder");

  auto* list_cmd = app.add_subcommand("list", "List the available sources, stages and sinks");

  NabOptions nab;
  auto* nab_cmd = app.add_subcommand("nab", "Numenta Anomaly Benchmark: run detection methods and score them");
  nab_cmd->require_subcommand(1);
  auto add_method_options = [&nab](CLI::App* cmd) {
    cmd->add_option("--data", nab.data_dir, "NAB folder (data/, labels/, config/)")->required();
    cmd->add_option("--method", nab.method, "Detection method (edgeflow nab methods)")->required();
    cmd->add_option("--set", nab.set, "Method parameter key=value (repeatable)");
    cmd->add_option("--seed", nab.seed, "Seed for methods that use randomness (default 0)");
  };
  auto* nab_run = nab_cmd->add_subcommand("run", "Run a method over every data file; write NAB result CSVs");
  add_method_options(nab_run);
  nab_run->add_option("--out", nab.out_dir, "Folder for the result CSVs")->required();
  auto* nab_score = nab_cmd->add_subcommand("score", "Score NAB result CSVs (three profiles, normalised)");
  nab_score->add_option("--data", nab.data_dir, "NAB folder (data/, labels/, config/)")->required();
  nab_score->add_option("--results", nab.results_dir, "Folder of result CSVs")->required();
  auto* nab_eval = nab_cmd->add_subcommand("eval", "Run a method and score it in one go");
  add_method_options(nab_eval);
  nab_eval->add_option("--out", nab.out_dir, "Also write the result CSVs here");
  nab_eval->add_flag("--brief", nab.brief, "One line: method, the three scores, points/s");
  auto* nab_methods = nab_cmd->add_subcommand("methods", "List the detection methods and their parameters");
  QueryOptions query;
  auto* query_cmd = app.add_subcommand("query", "Read series from a local store (the store sink's SQLite file)");
  query_cmd->add_option("--db", query.db_path, "Store file");
  query_cmd->add_option("--pipeline", query.pipeline_path, "Pipeline file whose store sink's path to read");
  query_cmd->add_option("--from", query.from, "Start (inclusive): RFC 3339, now, or relative like -1h");
  query_cmd->add_option("--to", query.to, "End (exclusive): RFC 3339, now, or relative like -5m");
  query_cmd->add_option("--device", query.device, "Only this device");
  query_cmd->add_option("--field", query.field, "Only this field");
  query_cmd->add_option("--agg", query.agg, "Aggregate: mean | min | max | sum | count | last")
      ->check(CLI::IsMember({"mean", "min", "max", "sum", "count", "last"}));
  query_cmd->add_option("--step", query.step, "Bucket width with --agg, e.g. 1m (picks the roll-up tier)");
  query_cmd->add_option("--format", query.format, "table | csv | json (JSON lines)")
      ->check(CLI::IsMember({"table", "csv", "json"}));
  query_cmd->add_option("--limit", query.limit, "Most rows to print (0: no limit; default 10000)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : kExitBadConfig;
  }

  if (*run_cmd) {
    if (log_format == "json") run.log_format = LogFormat::kJson;
    if (log_format == "auto" && !::isatty(2)) run.log_format = LogFormat::kJson;
    return RunCommand(run);
  }
  if (*check_cmd) return CheckCommand(check_paths, quiet);
  if (*docs_cmd) return DocsCommand(docs_dir);
  if (*list_cmd) return ListCommand();
  if (*nab_cmd) {
    nab.action = *nab_run ? "run" : *nab_score ? "score" : *nab_eval ? "eval" : *nab_methods ? "methods" : "";
    return NabCommand(nab);
  }
  if (*query_cmd) return QueryCommand(query);
  return kExitBadConfig;
}
