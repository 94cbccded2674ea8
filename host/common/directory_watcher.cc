#include "host/common/directory_watcher.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "host/common/logging.h"

namespace epp::common {
namespace {

// IN_MOVED_FROM too: a plugin renamed out of its directory is a removal.
constexpr uint32_t kMask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE |
                           IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;
constexpr int kRetryMs = 1000;

std::filesystem::path normalized(const std::filesystem::path& p) {
  std::error_code ec;
  std::filesystem::path abs = std::filesystem::absolute(p, ec);
  return (ec ? p : abs).lexically_normal();
}

}  // namespace

Result<std::unique_ptr<DirectoryWatcher>> DirectoryWatcher::start(Callback onChange) {
  int inotifyFd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (inotifyFd < 0) return Error{std::string("inotify_init1: ") + std::strerror(errno)};
  int wakeFd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wakeFd < 0) {
    int error = errno;
    ::close(inotifyFd);
    return Error{std::string("eventfd: ") + std::strerror(error)};
  }
  std::unique_ptr<DirectoryWatcher> watcher(
      new DirectoryWatcher(inotifyFd, wakeFd, std::move(onChange)));
  watcher->thread_ = std::thread([w = watcher.get()] { w->run(); });
  return watcher;
}

DirectoryWatcher::DirectoryWatcher(int inotifyFd, int wakeFd, Callback onChange)
    : inotifyFd_(inotifyFd), wakeFd_(wakeFd), onChange_(std::move(onChange)) {}

DirectoryWatcher::~DirectoryWatcher() {
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(wakeFd_, &one, sizeof one);
  if (thread_.joinable()) thread_.join();
  ::close(inotifyFd_);
  ::close(wakeFd_);
}

bool DirectoryWatcher::addWatch(Dir& dir) {
  dir.wd = ::inotify_add_watch(inotifyFd_, dir.path.c_str(), kMask);
  return dir.wd >= 0;
}

void DirectoryWatcher::setWatches(std::vector<Watch> watches) {
  std::vector<Dir> next;
  for (auto& w : watches) {
    std::filesystem::path path = normalized(w.dir);
    auto it = std::find_if(next.begin(), next.end(), [&](const Dir& d) { return d.path == path; });
    if (it == next.end()) it = next.insert(next.end(), Dir{path, {}, -1});
    it->relevant.push_back(std::move(w.relevant));
  }
  std::lock_guard lock(mutex_);
  for (Dir& d : next) {
    auto old = std::find_if(dirs_.begin(), dirs_.end(),
                            [&](const Dir& o) { return o.path == d.path && o.wd >= 0; });
    if (old != dirs_.end()) {
      d.wd = old->wd;
    } else if (!addWatch(d)) {
      logger()->warn("watch: cannot watch {} yet ({}); retrying every second", d.path.string(),
                     std::strerror(errno));
    }
  }
  // Two paths to one directory share a descriptor: remove only what nothing uses now.
  for (const Dir& o : dirs_) {
    if (o.wd < 0) continue;
    bool used = std::any_of(next.begin(), next.end(), [&](const Dir& d) { return d.wd == o.wd; });
    if (!used) ::inotify_rm_watch(inotifyFd_, o.wd);
  }
  dirs_ = std::move(next);
}

std::vector<std::filesystem::path> DirectoryWatcher::watchedDirectories() const {
  std::lock_guard lock(mutex_);
  std::vector<std::filesystem::path> out;
  for (const Dir& d : dirs_) {
    if (d.wd >= 0) out.push_back(d.path);
  }
  return out;
}

void DirectoryWatcher::run() {
  pollfd fds[2] = {{inotifyFd_, POLLIN, 0}, {wakeFd_, POLLIN, 0}};
  while (true) {
    int n = ::poll(fds, 2, kRetryMs);
    if (n < 0 && errno != EINTR) {
      logger()->error("watch: poll failed: {}; config and plugin watches stop",
                      std::strerror(errno));
      return;
    }
    if (n > 0 && (fds[1].revents & POLLIN)) return;
    if (n > 0 && (fds[0].revents & POLLIN)) handleEvents();
    retryMissing();
  }
}

void DirectoryWatcher::handleEvents() {
  alignas(inotify_event) char buffer[16 * 1024];
  std::vector<std::string> changes;
  while (true) {
    ssize_t len = ::read(inotifyFd_, buffer, sizeof buffer);
    if (len <= 0) break;  // EAGAIN: drained
    std::lock_guard lock(mutex_);
    for (char* p = buffer; p < buffer + len;) {
      const auto* event = reinterpret_cast<const inotify_event*>(p);
      p += sizeof(inotify_event) + event->len;
      if (event->mask & IN_Q_OVERFLOW) {
        changes.push_back("inotify queue overflow (changes may have been missed)");
        continue;
      }
      std::string_view name = event->len > 0 ? std::string_view(event->name) : "";
      for (Dir& d : dirs_) {
        if (d.wd != event->wd) continue;
        if (event->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) {
          // The directory is gone (or moved away, and the watch would follow it): watch
          // the path again when something is there.
          if (event->mask & IN_MOVE_SELF) ::inotify_rm_watch(inotifyFd_, d.wd);
          d.wd = -1;
          changes.push_back(d.path.string() + " (directory removed or moved)");
          continue;
        }
        bool relevant = std::any_of(d.relevant.begin(), d.relevant.end(),
                                    [&](const auto& f) { return f(name); });
        if (relevant) changes.push_back((d.path / std::string(name)).string());
      }
    }
  }
  for (const auto& c : changes) onChange_(c);
}

void DirectoryWatcher::retryMissing() {
  std::vector<std::string> changes;
  {
    std::lock_guard lock(mutex_);
    for (Dir& d : dirs_) {
      if (d.wd >= 0) continue;
      // Another path to the same directory may already hold its descriptor.
      if (addWatch(d)) changes.push_back(d.path.string() + " (directory appeared)");
    }
  }
  for (const auto& c : changes) onChange_(c);
}

}  // namespace epp::common
