// `edgeflow nab`: run detection methods over the NAB corpus and score them
// with NAB's own rules (see docs/analytics/nab.md).
#include <chrono>
#include <cstdio>

#include "analytics/detector_methods.h"
#include "analytics/nab/corpus.h"
#include "analytics/nab/runner.h"
#include "analytics/nab/scorer.h"
#include "analytics/post_process.h"
#include "app/commands.h"

namespace edgeflow {
namespace {

namespace nab = analytics::nab;

struct RunOutput {
  std::vector<nab::DataFile> files;
  std::vector<std::vector<double>> scores;
  size_t points = 0;
  double seconds = 0;  // in the detectors only (not reading or writing files)
};

Result<std::shared_ptr<const analytics::DetectorFactory>> BuildMethod(const NabOptions& o) {
  analytics::MethodParams params;
  for (const std::string& kv : o.set) {
    if (!params.AddAssignment(kv)) return InvalidConfig("--set " + kv + ": expected key=value");
  }
  return analytics::MakeDetectorFactory(o.method, std::move(params));
}

// Runs the method over every CSV under <data>/data (or <data> itself when it
// has no data/ folder), a fresh detector per file.
Result<RunOutput> RunMethod(const NabOptions& o, const analytics::DetectorFactory& factory) {
  std::string root = o.data_dir + "/data";
  if (!nab::ListCsvFiles(root).ok()) root = o.data_dir;
  EF_ASSIGN_OR_RETURN(std::vector<std::string> paths, nab::ListCsvFiles(root));
  if (paths.empty()) return NotFound("no .csv files under " + root);
  RunOutput out;
  for (const std::string& relative : paths) {
    EF_ASSIGN_OR_RETURN(nab::DataFile file, nab::ReadDataFile(root + "/" + relative, relative));
    const auto start = std::chrono::steady_clock::now();
    std::vector<double> scores = nab::RunDetector(factory, file, o.seed);
    out.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    out.points += file.values.size();
    if (!o.out_dir.empty()) {
      EF_RETURN_IF_ERROR(nab::WriteResultFile(o.out_dir + "/" + relative, file, scores));
    }
    out.files.push_back(std::move(file));
    out.scores.push_back(std::move(scores));
  }
  return out;
}

double PointsPerSecond(const RunOutput& r) { return r.seconds > 0 ? static_cast<double>(r.points) / r.seconds : 0; }

void PrintScores(const std::vector<nab::ProfileScore>& scores) {
  std::printf("%-20s %10s %10s %9s %9s %8s %8s\n", "profile", "score", "threshold", "raw", "null", "tp_rows",
              "fp_rows");
  for (const nab::ProfileScore& s : scores) {
    std::printf("%-20s %10.2f %10.6g %9.3f %9.3f %8lld %8lld\n", s.profile.c_str(), s.normalized, s.best.threshold,
                s.best.score, s.null_score, static_cast<long long>(s.best.tp), static_cast<long long>(s.best.fp));
  }
}

// Scores `run` (or result files) against the labelled corpus.
Result<std::vector<nab::ProfileScore>> Score(const nab::Corpus& corpus, const RunOutput* run,
                                             const std::string& results_dir) {
  std::vector<std::vector<double>> scores;
  for (const nab::DataFile& file : corpus.files) {
    if (run != nullptr) {
      size_t i = 0;
      while (i < run->files.size() && run->files[i].relative_path != file.relative_path) ++i;
      if (i == run->files.size()) return NotFound("no data file for labelled " + file.relative_path);
      scores.push_back(run->scores[i]);
    } else {
      EF_ASSIGN_OR_RETURN(std::vector<double> s, nab::ReadResultScores(results_dir, file));
      scores.push_back(std::move(s));
    }
  }
  return nab::ScoreCorpus(corpus, scores);
}

int Fail(const Status& s) {
  std::fprintf(stderr, "edgeflow nab: %s\n", s.ToString().c_str());
  return s.code() == StatusCode::kInvalidConfig ? kExitBadConfig : kExitFailure;
}

int ListMethods() {
  for (const analytics::DetectorMethod& m : analytics::DetectorMethods()) {
    std::printf("%s%s: %s\n", m.name.c_str(), m.name == analytics::kDefaultDetectorMethod ? " (default)" : "",
                m.summary.c_str());
    for (const analytics::MethodParam& p : m.params) {
      std::printf("    %-14s %-7s default %-8s %s\n", p.name.c_str(), p.type.c_str(),
                  p.default_value.empty() ? "-" : p.default_value.c_str(), p.description.c_str());
    }
  }
  std::printf("every method also accepts (post-processing of its scores):\n");
  for (const analytics::MethodParam& p : analytics::PostProcessMethodParams()) {
    std::printf("    %-18s %-7s default %-8s %s\n", p.name.c_str(), p.type.c_str(), p.default_value.c_str(),
                p.description.c_str());
  }
  return kExitOk;
}

}  // namespace

int NabCommand(const NabOptions& o) {
  if (o.action == "methods") return ListMethods();

  if (o.action == "score") {
    auto corpus = nab::LoadCorpus(o.data_dir);
    if (!corpus.ok()) return Fail(corpus.status());
    auto scores = Score(*corpus, nullptr, o.results_dir);
    if (!scores.ok()) return Fail(scores.status());
    PrintScores(*scores);
    return kExitOk;
  }

  auto factory = BuildMethod(o);
  if (!factory.ok()) return Fail(factory.status());
  // Load the labels first so `eval` fails fast on a bad corpus.
  Result<nab::Corpus> corpus = Status(StatusCode::kInternal, "not loaded");
  if (o.action == "eval") {
    corpus = nab::LoadCorpus(o.data_dir);
    if (!corpus.ok()) return Fail(corpus.status());
  }
  auto run = RunMethod(o, **factory);
  if (!run.ok()) return Fail(run.status());
  if (o.action == "run") {
    std::printf("%s: %zu files, %zu points, %.0f points/s%s%s\n", o.method.c_str(), run->files.size(), run->points,
                PointsPerSecond(*run), o.out_dir.empty() ? "" : ", results in ", o.out_dir.c_str());
    return kExitOk;
  }
  auto scores = Score(*corpus, &*run, "");
  if (!scores.ok()) return Fail(scores.status());
  if (o.brief) {
    std::printf("%s", o.method.c_str());
    for (const nab::ProfileScore& s : *scores) std::printf(" %.2f", s.normalized);
    std::printf(" %.0f\n", PointsPerSecond(*run));
    return kExitOk;
  }
  std::printf("%s: %zu files, %zu points, %.0f points/s\n", o.method.c_str(), run->files.size(), run->points,
              PointsPerSecond(*run));
  PrintScores(*scores);
  return kExitOk;
}

}  // namespace edgeflow
