import Glibc

/// The two `posix_spawn` file actions Swift's `Glibc` module hides behind `_GNU_SOURCE` (glibc
/// 2.34+), looked up once by name. The lab spawns environments and its watchdog with them: the child
/// keeps only the descriptors it was given, and starts in its function's folder.
enum SpawnActions {
    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private typealias Chdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32

    nonisolated(unsafe) private static let handle = dlopen(nil, RTLD_NOW)

    private static func symbol<T>(_ name: String, as type: T.Type) -> T {
        guard let pointer = dlsym(handle, name) else { fatalError("glibc lacks \(name) (glibc 2.34 or newer is required)") }
        return unsafeBitCast(pointer, to: type)
    }

    private static let closeFromFunction = symbol("posix_spawn_file_actions_addclosefrom_np", as: CloseFrom.self)
    private static let chdirFunction = symbol("posix_spawn_file_actions_addchdir_np", as: Chdir.self)

    /// In the child, close every descriptor from `lowest` up (the child keeps only what it was given).
    static func addCloseFrom(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ lowest: Int32) -> Int32 {
        closeFromFunction(actions, lowest)
    }

    /// In the child, change to `path` before the program starts.
    static func addChdir(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ path: String) -> Int32 {
        chdirFunction(actions, path)
    }
}
