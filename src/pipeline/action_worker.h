// ActionWorker: the thread an action does its blocking work on (a Modbus
// write, an HTTP call). Jobs run one at a time in order from a bounded
// queue; their outcomes wait for the rule stage's TakeResults; Stop waits up
// to a drain time for pending jobs and reports the rest as not done.
// `Job` is any struct with an `ActionResult result` member that `perform`
// fills in.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/thread_name.h"
#include "pipeline/action.h"

namespace edgeflow {

template <typename Job>
class ActionWorker {
 public:
  // `full` and `shutdown` are the outcome details of jobs refused because
  // the queue is full, and of jobs still queued at Stop.
  ActionWorker(size_t max_pending, std::string full, std::string shutdown)
      : max_pending_(max_pending), full_(std::move(full)), shutdown_(std::move(shutdown)) {}
  ~ActionWorker() { Stop(0); }

  void Start(std::function<void(Job&)> perform) {
    perform_ = std::move(perform);
    thread_ = std::thread([this] {
      NameThisThread("ef-action");
      Run();
    });
  }
  bool started() const { return thread_.joinable(); }

  // Queues `job`, or records it as failed when the queue is full.
  void Submit(Job job) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (queue_.size() >= max_pending_) {
      job.result.detail = full_;
      done_.push_back(std::move(job.result));
      return;
    }
    queue_.push_back(std::move(job));
    cv_.notify_one();
  }

  // Records an outcome decided without running a job (a bad value).
  void Record(ActionResult result) {
    std::lock_guard<std::mutex> lock(mutex_);
    done_.push_back(std::move(result));
  }

  void TakeResults(std::vector<ActionResult>& out) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (ActionResult& r : done_) out.push_back(std::move(r));
    done_.clear();
  }

  // For `perform`'s retries: waits `duration` unless Stop is called; false
  // when stopping.
  bool WaitUnlessStopping(TimeMicros duration) {
    std::unique_lock<std::mutex> lock(mutex_);
    return !cv_.wait_for(lock, std::chrono::microseconds(duration), [&] { return stop_; });
  }

  void Stop(TimeMicros drain) {
    if (!thread_.joinable()) return;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      cv_.wait_for(lock, std::chrono::microseconds(drain), [&] { return queue_.empty() && !busy_; });
      stop_ = true;
      for (Job& job : queue_) {
        job.result.detail = shutdown_;
        done_.push_back(std::move(job.result));
      }
      queue_.clear();
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  void Run() {
    while (true) {
      Job job;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
        if (stop_) return;
        job = std::move(queue_.front());
        queue_.pop_front();
        busy_ = true;
      }
      perform_(job);
      std::lock_guard<std::mutex> lock(mutex_);
      done_.push_back(std::move(job.result));
      busy_ = false;
      cv_.notify_all();
    }
  }

  const size_t max_pending_;
  const std::string full_;
  const std::string shutdown_;
  std::function<void(Job&)> perform_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Job> queue_;
  std::vector<ActionResult> done_;
  bool stop_ = false;
  bool busy_ = false;
};

}  // namespace edgeflow
