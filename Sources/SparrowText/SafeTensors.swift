import Foundation

/// Tensors of a `.safetensors` file, converted to `Float` on load.
///
/// The format: an 8-byte little-endian header length, a JSON header naming each tensor's dtype,
/// shape and byte range, then the raw little-endian data. F32, F16 and BF16 are read.
public struct SafeTensors {
    /// One tensor: its shape and its values in row-major order.
    public struct Tensor {
        /// The size of each dimension.
        public var shape: [Int]
        /// The values, row-major, converted to `Float`.
        public var values: [Float]
    }

    /// The file read.
    public let path: String
    /// Every tensor of the file by name.
    public private(set) var tensors: [String: Tensor] = [:]

    /// Reads and converts every tensor of `path`; a malformed file or an unsupported dtype is a
    /// ``TokenizerError`` naming the file.
    public init(path: String) throws {
        self.path = path
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) } catch {
            throw TokenizerError(path: path, "cannot read the model file (\(error.localizedDescription))")
        }
        guard data.count >= 8 else { throw TokenizerError(path: path, "is too short for a safetensors file") }
        let headerLength = data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard headerLength <= UInt64(data.count - 8),
              let header = try? JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + Int(headerLength))))
                as? [String: Any]
        else { throw TokenizerError(path: path, "has no readable safetensors header") }
        let base = 8 + Int(headerLength)
        for (name, entry) in header where name != "__metadata__" {
            guard let info = entry as? [String: Any], let dtype = info["dtype"] as? String,
                  let shape = info["shape"] as? [Int], let offsets = info["data_offsets"] as? [Int], offsets.count == 2,
                  offsets[0] >= 0, offsets[0] <= offsets[1], base + offsets[1] <= data.count
            else { throw TokenizerError(path: path, "tensor \(name): malformed header entry") }
            let count = shape.reduce(1, *)
            let width: Int
            switch dtype {
            case "F32": width = 4
            case "F16", "BF16": width = 2
            default: throw TokenizerError(path: path, "tensor \(name): dtype \(dtype) is not supported (F32, F16, BF16 are)")
            }
            guard offsets[1] - offsets[0] == count * width else {
                throw TokenizerError(path: path, "tensor \(name): \(offsets[1] - offsets[0]) bytes for \(count) \(dtype) values")
            }
            var values = [Float](repeating: 0, count: count)
            data.withUnsafeBytes { raw in
                let bytes = raw.baseAddress!.advanced(by: base + offsets[0])
                for i in 0..<count {
                    switch dtype {
                    case "F32":
                        values[i] = Float(bitPattern: bytes.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self).littleEndian)
                    case "BF16":
                        let bits = UInt32(bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self).littleEndian)
                        values[i] = Float(bitPattern: bits << 16)
                    default:
                        values[i] = Self.halfToFloat(bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self).littleEndian)
                    }
                }
            }
            tensors[name] = Tensor(shape: shape, values: values)
        }
    }

    /// IEEE half precision to single precision.
    static func halfToFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h >> 15) << 31
        let exponent = Int(h >> 10) & 0x1F
        let mantissa = UInt32(h & 0x3FF)
        if exponent == 0 {
            let value = Float(mantissa) * Float(sign: .plus, exponent: -24, significand: 1)
            return sign != 0 ? -value : value
        }
        if exponent == 31 { return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13)) }
        return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | (mantissa << 13))
    }

    /// The tensor called `name` (or the first of `names` present), checked against `shape`.
    public func tensor(_ names: String..., shape: [Int]) throws -> [Float] {
        guard let name = names.first(where: { tensors[$0] != nil }), let t = tensors[name] else {
            throw TokenizerError(path: path, "has no tensor \(names.joined(separator: " or "))")
        }
        guard t.shape == shape else {
            throw TokenizerError(path: path, "tensor \(name) has shape \(t.shape), expected \(shape)")
        }
        return t.values
    }
}
