import CSparrow
import Foundation
import Sparrow

// Statuses and the thread-local last error: every exported function runs its body through
// `status(_:)`, which turns a thrown error into a status code and a message, so nothing a caller
// passes can unwind into C or trap.

/// An error of the C interface itself: a bad argument, or a write to a read-only index.
struct CallError: Error, CustomStringConvertible {
    var status: Int32
    var message: String

    static func invalid(_ message: String) -> CallError { CallError(status: SPARROW_INVALID_ARGUMENT, message: message) }

    var description: String { message }
}

/// The calling thread's last error message, as a C string it owns until its next call.
enum LastError {
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { free($0) }
        return key
    }()

    static func set(_ message: String) {
        let old = pthread_getspecific(key)
        pthread_setspecific(key, strdup(message))
        free(old)
    }

    static var current: UnsafePointer<CChar> {
        if let p = pthread_getspecific(key) { return UnsafePointer(p.assumingMemoryBound(to: CChar.self)) }
        set("")
        return UnsafePointer(pthread_getspecific(key)!.assumingMemoryBound(to: CChar.self))
    }
}

/// Runs `body`, clearing the last error; a thrown error becomes its status and message.
func status(_ body: () throws -> Void) -> Int32 {
    do {
        LastError.set("")
        try body()
        return SPARROW_OK
    } catch {
        LastError.set(describe(error))
        return code(of: error)
    }
}

func code(of error: any Error) -> Int32 {
    switch error {
    case let e as CallError: return e.status
    case let e as IndexError:
        switch e.code {
        case .notFound: return SPARROW_NOT_FOUND
        case .notAnIndex, .corrupt, .unsupportedVersion: return SPARROW_CORRUPT
        case .io: return SPARROW_IO
        case .invalidArgument: return SPARROW_INVALID_ARGUMENT
        case .locked: return SPARROW_LOCKED
        }
    case is InputError, is FieldError, is TokenizerError: return SPARROW_INVALID_ARGUMENT
    default: return SPARROW_INTERNAL
    }
}

func describe(_ error: any Error) -> String {
    switch error {
    case let e as FieldError: return e.field.map { "option \($0): \(e.message)" } ?? e.message
    default: return "\(error)"
    }
}
