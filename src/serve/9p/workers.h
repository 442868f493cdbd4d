// workers.h — the worker threads of one 9P connection (server.cc).
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace ninet::ninep {

// Workers of one connection: a thread per request in progress, kept for reuse.
// A request never waits behind a blocked one while fewer than `max` run.
class Workers {
 public:
  explicit Workers(unsigned max) : max_(max) {}
  ~Workers() { join(); }
  void submit(std::function<void()> fn) {
    std::lock_guard<std::mutex> g(mu_);
    jobs_.push_back(std::move(fn));
    if (jobs_.size() > idle_ && threads_.size() < max_)
      threads_.emplace_back([this] { loop(); });
    else
      cv_.notify_one();
  }
  // Runs what is queued, then ends the threads.
  void join() {
    std::vector<std::thread> ts;
    {
      std::lock_guard<std::mutex> g(mu_);
      stop_ = true;
      ts.swap(threads_);
    }
    cv_.notify_all();
    for (auto& t : ts)
      t.join();
  }

 private:
  void loop() {
    std::unique_lock<std::mutex> l(mu_);
    for (;;) {
      idle_++;
      cv_.wait(l, [&] { return !jobs_.empty() || stop_; });
      idle_--;
      if (jobs_.empty()) return;
      auto fn = std::move(jobs_.front());
      jobs_.pop_front();
      l.unlock();
      fn();
      l.lock();
    }
  }
  unsigned max_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  std::vector<std::thread> threads_;
  size_t idle_ = 0;
  bool stop_ = false;
};

}  // namespace ninet::ninep
