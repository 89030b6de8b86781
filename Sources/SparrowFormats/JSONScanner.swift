#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A strict, allocation-light JSON reader over one line of bytes (RFC 8259 grammar).
///
/// Ingest reads millions of small objects whose shape is known, so instead of building a generic
/// tree this walks the bytes and lets the caller pull the fields it wants and skip the rest.
/// Errors are thrown as ``JSONScanner/Failure`` with a message; the record parser adds file, line
/// and field.
struct JSONScanner {
    struct Failure: Error {
        var message: String
    }

    let bytes: UnsafeBufferPointer<UInt8>
    var position = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    var atEnd: Bool { position >= bytes.count }

    @inline(__always)
    var current: UInt8 { position < bytes.count ? bytes[position] : 0 }

    mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position &+= 1
            default: return
            }
        }
    }

    /// Consumes `byte` (after whitespace) or fails saying what was expected.
    mutating func expect(_ byte: UInt8, _ what: @autoclosure () -> String) throws(Failure) {
        skipWhitespace()
        guard current == byte else { throw Failure(message: "expected \(what()) but found \(describeCurrent())") }
        position &+= 1
    }

    /// Consumes `byte` (after whitespace) if present.
    mutating func consume(_ byte: UInt8) -> Bool {
        skipWhitespace()
        if current == byte {
            position &+= 1
            return true
        }
        return false
    }

    func describeCurrent() -> String {
        if atEnd { return "end of line" }
        let b = bytes[position]
        if b >= 0x20 && b < 0x7F { return "'\(Character(Unicode.Scalar(b)))' at column \(position + 1)" }
        return "byte 0x\(String(b, radix: 16)) at column \(position + 1)"
    }

    /// Iterates the members of an object, calling `body` with each key; `body` must consume the value.
    mutating func forEachMember(_ body: (inout JSONScanner, String) throws -> Void) throws {
        try expect(UInt8(ascii: "{"), "'{'")
        if consume(UInt8(ascii: "}")) { return }
        repeat {
            skipWhitespace()
            guard current == UInt8(ascii: "\"") else {
                throw Failure(message: "expected a quoted key but found \(describeCurrent())")
            }
            let key = try parseString()
            try expect(UInt8(ascii: ":"), "':' after key \"\(key)\"")
            skipWhitespace()
            try body(&self, key)
        } while consume(UInt8(ascii: ","))
        try expect(UInt8(ascii: "}"), "',' or '}'")
    }

    /// What kind of value starts here, for messages and dispatch.
    enum ValueKind { case object, array, string, number, literal, invalid }

    func peekKind() -> ValueKind {
        switch current {
        case UInt8(ascii: "{"): return .object
        case UInt8(ascii: "["): return .array
        case UInt8(ascii: "\""): return .string
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number
        case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"): return .literal
        default: return .invalid
        }
    }

    /// Parses a JSON string (the opening quote is at `position`), validating UTF-8.
    mutating func parseString() throws(Failure) -> String {
        position &+= 1
        let start = position
        // Fast path: no escapes. ASCII text (nearly every key and token) needs no UTF-8
        // validation, and `String(decoding:)` of it is far cheaper than the generic validator.
        var ascii = true
        while position < bytes.count {
            let b = bytes[position]
            if b == UInt8(ascii: "\"") {
                let raw = UnsafeBufferPointer(rebasing: bytes[start..<position])
                position &+= 1
                if ascii { return String(decoding: raw, as: UTF8.self) }
                guard let s = String(validating: raw, as: UTF8.self) else {
                    throw Failure(message: "string is not valid UTF-8")
                }
                return s
            }
            if b == UInt8(ascii: "\\") { break }
            if b < 0x20 { throw Failure(message: "control character 0x\(String(b, radix: 16)) inside a string") }
            ascii = ascii && b < 0x80
            position &+= 1
        }
        var out = [UInt8](UnsafeBufferPointer(rebasing: bytes[start..<position]))
        while position < bytes.count {
            let b = bytes[position]
            position &+= 1
            switch b {
            case UInt8(ascii: "\""):
                guard let s = String(validating: out, as: UTF8.self) else {
                    throw Failure(message: "string is not valid UTF-8")
                }
                return s
            case UInt8(ascii: "\\"):
                try parseEscape(into: &out)
            case 0..<0x20:
                throw Failure(message: "control character 0x\(String(b, radix: 16)) inside a string")
            default:
                out.append(b)
            }
        }
        throw Failure(message: "unterminated string")
    }

    private mutating func parseEscape(into out: inout [UInt8]) throws(Failure) {
        guard position < bytes.count else { throw Failure(message: "unterminated string") }
        let e = bytes[position]
        position &+= 1
        switch e {
        case UInt8(ascii: "\""): out.append(0x22)
        case UInt8(ascii: "\\"): out.append(0x5C)
        case UInt8(ascii: "/"): out.append(0x2F)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try parseHex4()
            if (0xD800..<0xDC00).contains(scalar) {
                // A high surrogate must be followed by an escaped low surrogate.
                guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"),
                    bytes[position + 1] == UInt8(ascii: "u")
                else { throw Failure(message: "unpaired surrogate \\u\(String(scalar, radix: 16)) in string") }
                position &+= 2
                let low = try parseHex4()
                guard (0xDC00..<0xE000).contains(low) else {
                    throw Failure(message: "unpaired surrogate \\u\(String(scalar, radix: 16)) in string")
                }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00..<0xE000).contains(scalar) {
                throw Failure(message: "unpaired surrogate \\u\(String(scalar, radix: 16)) in string")
            }
            out.append(contentsOf: String(Character(Unicode.Scalar(scalar)!)).utf8)
        default:
            throw Failure(message: "invalid escape '\\\(Character(Unicode.Scalar(e)))' in string")
        }
    }

    private mutating func parseHex4() throws(Failure) -> UInt32 {
        guard position + 4 <= bytes.count else { throw Failure(message: "truncated \\u escape in string") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[position]
            let d: UInt32
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(b - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(b - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(b - UInt8(ascii: "A") + 10)
            default: throw Failure(message: "invalid hex digit in \\u escape")
            }
            v = v << 4 | d
            position &+= 1
        }
        return v
    }

    /// A number's source text and whether it is an integer (no fraction or exponent).
    struct NumberToken {
        var range: Range<Int>
        var isInteger: Bool
    }

    /// Scans a number by the JSON grammar: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    mutating func scanNumber() throws(Failure) -> NumberToken {
        let start = position
        var isInteger = true
        if current == UInt8(ascii: "-") { position &+= 1 }
        if current == UInt8(ascii: "0") {
            position &+= 1
            if isDigit(current) { throw Failure(message: "invalid number: leading zero") }
        } else if isDigit(current) {
            while isDigit(current) { position &+= 1 }
        } else {
            throw Failure(message: "invalid number")
        }
        if current == UInt8(ascii: ".") {
            isInteger = false
            position &+= 1
            guard isDigit(current) else { throw Failure(message: "invalid number: digits expected after '.'") }
            while isDigit(current) { position &+= 1 }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            isInteger = false
            position &+= 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { position &+= 1 }
            guard isDigit(current) else { throw Failure(message: "invalid number: digits expected in exponent") }
            while isDigit(current) { position &+= 1 }
        }
        return NumberToken(range: start..<position, isInteger: isInteger)
    }

    /// Parses a number as a correctly rounded `Double`: ``exactDecimal(_:)`` when it applies (nearly
    /// every weight), C `strtod` on the validated text otherwise.
    mutating func parseDouble() throws(Failure) -> Double {
        let token = try scanNumber()
        if let value = exactDecimal(token.range) { return value }
        // strtod reads up to a NUL: it gets a copy of the token with one.
        var text = [CChar](repeating: 0, count: token.range.count + 1)
        for (i, b) in bytes[token.range].enumerated() { text[i] = CChar(bitPattern: b) }
        return strtod(text, nil)
    }

    /// The value of the number in `range` (text that ``scanNumber()`` accepted) when its
    /// significant digits make an integer of at most 2^53 and its power of ten is within ±22, or
    /// nil. Then the integer and the power are both exact doubles, and one IEEE multiplication or
    /// division of them is the correctly rounded value (Clinger's fast path), which is what
    /// `strtod` returns, at a fraction of its cost.
    func exactDecimal(_ range: Range<Int>) -> Double? {
        var i = range.lowerBound
        let end = range.upperBound
        let negative = bytes[i] == UInt8(ascii: "-")
        if negative { i &+= 1 }
        var significand: UInt64 = 0
        var digits = 0       // significant digits read (leading zeros are not)
        var exponent = 0     // the power of ten the digits are multiplied by
        var inFraction = false
        while i < end {
            let b = bytes[i]
            if b == UInt8(ascii: ".") {
                inFraction = true
            } else if isDigit(b) {
                if significand != 0 || b != UInt8(ascii: "0") {
                    digits &+= 1
                    if digits > 19 { return nil }   // would overflow UInt64
                    significand = significand &* 10 &+ UInt64(b &- UInt8(ascii: "0"))
                }
                if inFraction { exponent &-= 1 }
            } else {
                break   // 'e' or 'E'
            }
            i &+= 1
        }
        if i < end {
            i &+= 1   // past the 'e'
            var negativeExponent = false
            if bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") {
                negativeExponent = bytes[i] == UInt8(ascii: "-")
                i &+= 1
            }
            guard end &- i <= 4 else { return nil }   // strtod handles huge exponents
            var e = 0
            while i < end {
                e = e &* 10 &+ Int(bytes[i] &- UInt8(ascii: "0"))
                i &+= 1
            }
            exponent &+= negativeExponent ? -e : e
        }
        var value: Double
        if significand == 0 {
            value = 0
        } else {
            guard significand <= 1 << 53, (-22...22).contains(exponent) else { return nil }
            value = Double(significand)
            if exponent > 0 { value *= exactPowersOfTen[exponent] }
            if exponent < 0 { value /= exactPowersOfTen[-exponent] }
        }
        return negative ? -value : value
    }

    /// The text of the bare word starting here (`NaN`, `Infinity`, `true`, …), for messages.
    mutating func scanWord() -> String {
        let start = position
        while position < bytes.count {
            let b = bytes[position]
            guard (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z"))
                || b == UInt8(ascii: "-")
            else { break }
            position &+= 1
        }
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
    }

    /// Skips any JSON value, validating it.
    mutating func skipValue(depth: Int = 0) throws(Failure) {
        guard depth < 512 else { throw Failure(message: "nesting deeper than 512 levels") }
        skipWhitespace()
        switch peekKind() {
        case .string: _ = try parseString()
        case .number: _ = try scanNumber()
        case .object:
            position &+= 1
            if consume(UInt8(ascii: "}")) { return }
            repeat {
                skipWhitespace()
                guard current == UInt8(ascii: "\"") else {
                    throw Failure(message: "expected a quoted key but found \(describeCurrent())")
                }
                _ = try parseString()
                try expect(UInt8(ascii: ":"), "':'")
                try skipValue(depth: depth + 1)
            } while consume(UInt8(ascii: ","))
            try expect(UInt8(ascii: "}"), "',' or '}'")
        case .array:
            position &+= 1
            if consume(UInt8(ascii: "]")) { return }
            repeat { try skipValue(depth: depth + 1) } while consume(UInt8(ascii: ","))
            try expect(UInt8(ascii: "]"), "',' or ']'")
        case .literal:
            let word = scanWord()
            guard word == "true" || word == "false" || word == "null" else {
                throw Failure(message: "invalid value '\(word)'")
            }
        case .invalid:
            if current == UInt8(ascii: "N") || current == UInt8(ascii: "I") {
                throw Failure(message: "invalid value '\(scanWord())'")
            }
            throw Failure(message: "expected a value but found \(describeCurrent())")
        }
    }
}

/// 10^0 … 10^22: the powers of ten a double holds exactly.
private let exactPowersOfTen: [Double] = (0...22).map { k in (0..<k).reduce(1.0) { p, _ in p * 10 } }

@inline(__always)
private func isDigit(_ b: UInt8) -> Bool { b &- UInt8(ascii: "0") < 10 }

extension JSONScanner {
    /// Reads `line` as one JSON object, calling `member` with the scanner at each value and its
    /// key. Returns false for a blank line. A line that is not an object, malformed JSON, or text
    /// after the object becomes `fail(problem)`; an ``InputError`` thrown by `member` passes through.
    static func readObjectLine(_ line: UnsafeBufferPointer<UInt8>, fail: (String) -> InputError,
                               member: (inout JSONScanner, String) throws -> Void) throws(InputError) -> Bool {
        var scanner = JSONScanner(line)
        scanner.skipWhitespace()
        if scanner.atEnd { return false }
        do {
            guard scanner.current == UInt8(ascii: "{") else {
                throw fail("line is not a JSON object (found \(scanner.describeCurrent()))")
            }
            try scanner.forEachMember(member)
            scanner.skipWhitespace()
            guard scanner.atEnd else { throw fail("unexpected \(scanner.describeCurrent()) after the JSON object") }
        } catch let error as InputError {
            throw error
        } catch let error as JSONScanner.Failure {
            throw fail("malformed JSON: \(error.message)")
        } catch {
            throw fail("\(error)")
        }
        return true
    }

    /// A string value, or nil for `null`; anything else is `fail("must be a string")`.
    mutating func parseOptionalString(_ fail: (String) -> InputError) throws -> String? {
        switch peekKind() {
        case .string: return try parseString()
        case .literal where scanWord() == "null": return nil
        default: throw fail("must be a string")
        }
    }
}
