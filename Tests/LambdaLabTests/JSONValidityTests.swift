import Foundation
import Testing
@testable import LambdaLab

/// The Invoke API refuses a body that is not JSON without parsing it into objects: the scan must
/// agree with a real JSON parser.
@Suite("JSON validity, checked by scanning")
struct JSONValidityTests {
    @Test("valid JSON is accepted", arguments: [
        "{}", "[]", "0", "-0.5e+10", "\"text\"", "true", "null", " \n\t{ } ",
        #"{"a":1,"b":[true,false,null,{"c":"d\"e\\f\/g\u00e9"}],"h":-12.5E-3}"#,
        #"["é", "日本", "😀", "\ud83d\ude00"]"#,
        #"{"key":"a"}"#, String(repeating: "[", count: 500) + String(repeating: "]", count: 500),
    ])
    func valid(text: String) {
        #expect(JSONValidity.isValid(Array(text.utf8)))
    }

    @Test("what is not JSON is refused", arguments: [
        "", " ", "{", "}", "[1,]", "{\"a\":1,}", "{a:1}", "{'a':1}", "01", "1.", ".5", "-", "+1", "1e", "NaN", "Infinity",
        "tru", "nulls", "\"unterminated", "\"bad \\x escape\"", "\"\\u12\"", "\"tab\there\"", "{} {}", "[1 2]", "{\"a\" 1}",
    ])
    func invalid(text: String) {
        #expect(!JSONValidity.isValid(Array(text.utf8)))
    }

    @Test("invalid UTF-8 inside a string is refused; valid multi-byte sequences are not")
    func utf8() {
        let quote = UInt8(ascii: "\"")
        for bad: [UInt8] in [[0xC0, 0x80], [0xE0, 0x80, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xFF], [0xC3]] {
            #expect(!JSONValidity.isValid([quote] + bad + [quote]), "\(bad)")
        }
        for good: [UInt8] in [[0xC3, 0xA9], [0xE6, 0x97, 0xA5], [0xF0, 0x9F, 0x98, 0x80]] {
            #expect(JSONValidity.isValid([quote] + good + [quote]), "\(good)")
        }
    }

    @Test("on 5,000 random mutations of JSON documents, the scan and JSONSerialization agree (but for trailing commas, which RFC 8259 refuses and Foundation lets pass)")
    func agreesWithFoundation() {
        var random = SplitMix(seed: 42)
        let seeds = [#"{"a":[1,2,{"b":"c"}],"d":-1.5e3,"e":null}"#, #"["x",true,false,{"y":[]}]"#, #""\u00e9\n""#, "12.5"]
        var disagreements: [String] = []
        for round in 0..<5_000 {
            var bytes = Array(seeds[round % seeds.count].utf8)
            for _ in 0..<Int(random.next() % 3 + 1) {
                let position = Int(random.next() % UInt64(bytes.count + 1))
                let alphabet = Array(#"{}[]",:0123456789-+.eEtrufalsn \u"#.utf8)
                switch random.next() % 3 {
                case 0 where position < bytes.count: bytes.remove(at: position)
                case 1: bytes.insert(alphabet[Int(random.next() % UInt64(alphabet.count))], at: position)
                default: if position < bytes.count { bytes[position] = alphabet[Int(random.next() % UInt64(alphabet.count))] }
                }
            }
            let foundation = (try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])) != nil
            let text = String(decoding: bytes, as: UTF8.self)
            let trailingComma = text.replacingOccurrences(of: " ", with: "").contains(",]") || text.replacingOccurrences(of: " ", with: "").contains(",}")
            if foundation != JSONValidity.isValid(bytes), !(foundation && trailingComma) { disagreements.append(text) }
        }
        #expect(disagreements.isEmpty, "\(disagreements.prefix(5))")
    }
}

/// SplitMix64, so the mutations are the same on every run.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
