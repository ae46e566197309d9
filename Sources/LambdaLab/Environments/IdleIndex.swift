/// The environments that can take another invocation now, per group — a function version and a
/// provisioned qualifier (nil: on demand), numbered by the pool — most recently used last. Each
/// group is a doubly linked list threaded through a dictionary, so putting an environment in,
/// taking it out and finding the most recently used one are all O(1): at a burst of 200 a scan of
/// every environment was most of the lab's cost per arrival.
struct IdleIndex {
    /// What a group number stands for.
    struct Group: Hashable {
        let function: String
        let version: String
        let provisionedFor: String?
    }

    private struct Links {
        var group: Int
        var previous: EnvironmentID?
        var next: EnvironmentID?
    }

    private var links: [EnvironmentID: Links] = [:]
    /// Each group's least and most recently used member.
    private var ends: [Int: (first: EnvironmentID, last: EnvironmentID)] = [:]

    func contains(_ id: EnvironmentID) -> Bool { links[id] != nil }

    /// The most recently used member of `group`.
    func mostRecent(_ group: Int) -> EnvironmentID? { ends[group]?.last }

    /// Every member of `group`, least recently used first (for environments with many slots,
    /// where the router wants the one with the most room).
    func members(_ group: Int) -> [EnvironmentID] {
        var result: [EnvironmentID] = []
        var cursor = ends[group]?.first
        while let id = cursor {
            result.append(id)
            cursor = links[id]?.next
        }
        return result
    }

    /// Puts `id` at the most recently used end of `group` (moving it there if it is in already).
    mutating func insert(_ id: EnvironmentID, in group: Int) {
        // Already the most recent of its group: nothing to move.
        if let entry = links[id], entry.group == group, entry.next == nil { return }
        remove(id)
        if let (first, last) = ends[group] {
            links[last]?.next = id
            links[id] = Links(group: group, previous: last, next: nil)
            ends[group] = (first, id)
        } else {
            links[id] = Links(group: group, previous: nil, next: nil)
            ends[group] = (id, id)
        }
    }

    mutating func remove(_ id: EnvironmentID) {
        guard let entry = links.removeValue(forKey: id) else { return }
        if let previous = entry.previous { links[previous]?.next = entry.next }
        if let next = entry.next { links[next]?.previous = entry.previous }
        guard let (first, last) = ends[entry.group] else { return }
        switch (first == id, last == id) {
        case (true, true): ends[entry.group] = nil
        case (true, false): if let next = entry.next { ends[entry.group] = (next, last) }
        case (false, true): if let previous = entry.previous { ends[entry.group] = (first, previous) }
        case (false, false): break
        }
    }
}
