// storage/query_queue.hpp: the order in which queries waiting for a reader run: one query per
// app at a time, so an app's scans never hold every reader, and the apps in turn (round robin),
// each app's queries in call order. Plain: QueryReaders holds it under its mutex.
#pragma once

#include <deque>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "storage/store.hpp"

namespace smartlog::storage {

struct QueryJob {
    Query query;
    Store::QueryDone done;
};

class QueryQueue {
public:
    void push(QueryJob job) {
        auto& queue = queues_[job.query.app_id];
        if (queue.empty()) order_.push_back(job.query.app_id);
        queue.push_back(std::move(job));
    }

    // The next query that may run now, if any: of the app served longest ago among those with
    // no query running. Its app counts as running until finished().
    std::optional<QueryJob> take() {
        for (auto it = order_.begin(); it != order_.end(); ++it) {
            if (running_.count(*it)) continue;
            auto queue = queues_.find(*it);
            QueryJob job = std::move(queue->second.front());
            queue->second.pop_front();
            const std::string app = *it;
            order_.erase(it);
            // Round robin: an app with more waiting goes to the back of the line.
            if (queue->second.empty()) {
                queues_.erase(queue);
            } else {
                order_.push_back(app);
            }
            running_.insert(app);
            return job;
        }
        return std::nullopt;
    }

    // The query take() gave for `app_id` has ended: the app's next one may run.
    void finished(const std::string& app_id) { running_.erase(app_id); }

    // Every query not started, in no particular order; the queue is left empty.
    std::vector<QueryJob> drain() {
        std::vector<QueryJob> out;
        for (auto& [app, queue] : queues_) {
            for (auto& job : queue) out.push_back(std::move(job));
        }
        queues_.clear();
        order_.clear();
        return out;
    }

private:
    std::unordered_map<std::string, std::deque<QueryJob>> queues_;
    std::deque<std::string> order_;  // apps with queries waiting, in the order they are served
    std::unordered_set<std::string> running_;
};

}  // namespace smartlog::storage
