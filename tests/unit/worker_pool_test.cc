#include "http/worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace lore {
namespace {

using namespace std::chrono_literals;

// A one-shot gate with timeouts, so that a broken pool fails the test instead of hanging it.
class Gate {
 public:
  void open() {
    {
      std::lock_guard lock(mutex_);
      open_ = true;
    }
    cv_.notify_all();
  }
  bool wait(std::chrono::milliseconds timeout = 5s) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [this] { return open_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool open_ = false;
};

// Counts up and lets a test wait for a value.
class Counter {
 public:
  void add() {
    {
      std::lock_guard lock(mutex_);
      ++value_;
    }
    cv_.notify_all();
  }
  bool wait_for_value(int value, std::chrono::milliseconds timeout = 5s) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] { return value_ >= value; });
  }
  int value() {
    std::lock_guard lock(mutex_);
    return value_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  int value_ = 0;
};

TEST(WorkerPool, RunsTasksOnWorkerThreads) {
  WorkerPool pool(3, 100);
  std::atomic<int> ran{0};
  std::mutex mutex;
  std::set<std::thread::id> threads;
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(pool.try_submit([&] {
      ran.fetch_add(1);
      std::lock_guard lock(mutex);
      threads.insert(std::this_thread::get_id());
    }));
  }
  pool.stop();
  EXPECT_EQ(ran.load(), 50);
  EXPECT_EQ(threads.count(std::this_thread::get_id()), 0u);
  EXPECT_GE(threads.size(), 1u);
  EXPECT_LE(threads.size(), 3u);
  EXPECT_EQ(pool.queued(), 0u);
}

TEST(WorkerPool, ThreadsRunInParallel) {
  constexpr int kThreads = 4;
  WorkerPool pool(kThreads, 100);
  Counter arrived;
  Gate all_arrived;
  std::atomic<int> saw_everyone{0};
  for (int i = 0; i < kThreads; ++i) {
    ASSERT_TRUE(pool.try_submit([&] {
      arrived.add();
      // Each task waits for all the others: only possible if they run at the same time.
      if (arrived.wait_for_value(kThreads, 5s)) saw_everyone.fetch_add(1);
    }));
  }
  pool.stop();
  EXPECT_EQ(saw_everyone.load(), kThreads);
}

TEST(WorkerPool, ZeroThreadsMeansOne) {
  WorkerPool pool(0, 10);
  Counter ran;
  ASSERT_TRUE(pool.try_submit([&] { ran.add(); }));
  EXPECT_TRUE(ran.wait_for_value(1));
}

TEST(WorkerPool, BoundedQueueRefusesWhenFull) {
  WorkerPool pool(1, 2);
  Gate started, release;
  std::atomic<int> ran{0};
  std::atomic<bool> refused_ran{false};
  ASSERT_TRUE(pool.try_submit([&] {
    started.open();
    release.wait();
  }));
  ASSERT_TRUE(started.wait()) << "the worker never picked up the blocking task";
  // The only worker is busy: tasks queue up to the limit.
  EXPECT_EQ(pool.queued(), 0u);
  EXPECT_TRUE(pool.try_submit([&] { ran.fetch_add(1); }));
  EXPECT_TRUE(pool.try_submit([&] { ran.fetch_add(1); }));
  EXPECT_EQ(pool.queued(), 2u);
  EXPECT_FALSE(pool.try_submit([&] { refused_ran = true; }));
  EXPECT_FALSE(pool.try_submit([&] { refused_ran = true; }));
  EXPECT_EQ(pool.queued(), 2u);

  release.open();
  pool.stop();
  EXPECT_EQ(ran.load(), 2);
  EXPECT_FALSE(refused_ran.load());
}

TEST(WorkerPool, QueueHasRoomAgainOnceDrained) {
  WorkerPool pool(1, 1);
  Gate started, release;
  Counter ran;
  ASSERT_TRUE(pool.try_submit([&] {
    started.open();
    release.wait();
  }));
  ASSERT_TRUE(started.wait());
  EXPECT_TRUE(pool.try_submit([&] { ran.add(); }));
  EXPECT_FALSE(pool.try_submit([&] { ran.add(); }));
  release.open();
  ASSERT_TRUE(ran.wait_for_value(1));
  EXPECT_TRUE(pool.try_submit([&] { ran.add(); }));
  EXPECT_TRUE(ran.wait_for_value(2));
}

TEST(WorkerPool, StopRefusesNewWorkAndDrainsQueuedTasks) {
  WorkerPool pool(1, 10);
  Gate started, release;
  std::atomic<int> ran{0};
  ASSERT_TRUE(pool.try_submit([&] {
    started.open();
    release.wait();
  }));
  ASSERT_TRUE(started.wait());
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(pool.try_submit([&] { ran.fetch_add(1); }));

  // stop() blocks until the queue is drained, so call it from another thread.
  std::atomic<bool> stopped{false};
  std::thread stopper([&] {
    pool.stop();
    stopped = true;
  });
  // Once stopping, new work is refused while the queued tasks are still waiting.
  bool refused = false;
  for (auto deadline = std::chrono::steady_clock::now() + 5s;
       !refused && std::chrono::steady_clock::now() < deadline;) {
    refused = !pool.try_submit([&] { ran.fetch_add(100); });
    if (!refused) std::this_thread::sleep_for(1ms);
  }
  EXPECT_TRUE(refused);
  EXPECT_FALSE(stopped.load());
  // The task accepted before stop() was observed, if any, counts +100; so compare modulo 100.
  release.open();
  stopper.join();
  EXPECT_TRUE(stopped.load());
  EXPECT_EQ(ran.load() % 100, 5);
  EXPECT_EQ(pool.queued(), 0u);
  EXPECT_FALSE(pool.try_submit([] {}));
  pool.stop();  // a second stop is harmless
}

TEST(WorkerPool, DestructorDrainsQueuedTasks) {
  std::atomic<int> ran{0};
  Gate started, release;
  {
    WorkerPool pool(1, 10);
    ASSERT_TRUE(pool.try_submit([&] {
      started.open();
      release.wait(100ms);
    }));
    ASSERT_TRUE(started.wait());
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(pool.try_submit([&] { ran.fetch_add(1); }));
    EXPECT_EQ(pool.queued(), 3u);
  }
  EXPECT_EQ(ran.load(), 3);
}

}  // namespace
}  // namespace lore
