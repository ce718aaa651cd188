import Store

/// What `verify` found: integrity of every chunk and record, and (with a teacher) replay fidelity. Its JSON
/// form is the stable `verify --json` output.
public struct VerifyReport: Codable, Sendable, Equatable {
    /// One problem, with what is at fault.
    public struct Problem: Codable, Sendable, Equatable {
        /// `corrupt-chunk`, `chunk-mismatch`, `bad-record`, `duplicate`, `missing`, `seed`, `sqlite`,
        /// `dataset`, `policy`, `class-names` (the dataset's class names are not the teacher's).
        public var kind: String
        public var detail: String
    }

    /// Replay fidelity: the teacher rerun on replayed pixels against the stored records.
    public struct Replay: Codable, Sendable, Equatable {
        public var records: Int
        /// Share of records whose top-1 class matches, whose top-K class sets match, and whose fp16 values are
        /// bit-identical.
        public var top1Agreement: Double
        public var topKSetAgreement: Double
        public var identicalValues: Double
        /// Largest |stored − recomputed| probability over matching classes.
        public var maxAbsDelta: Double
        /// Whether the teacher was rerun fused (BatchNorm folded); nil for synthetic and TorchScript teachers.
        public var fusedInference: Bool?
        /// Sampled targets only (nil otherwise): the share of records whose N draws all land on the stored
        /// classes, the draws in all that land elsewhere, and over those the largest distance of a draw's
        /// uniform from its stored class's interval of the rerun's cumulative probabilities (a rerun that
        /// differs in its last bits moves only draws within about 1e-6 of a boundary).
        public var drawAgreement: Double?
        public var differingDraws: Int?
        public var maxDrawDistance: Double?
        /// Creates the summary.
        public init(records: Int, top1Agreement: Double, topKSetAgreement: Double, identicalValues: Double, maxAbsDelta: Double,
                    fusedInference: Bool?) {
            self.records = records
            self.top1Agreement = top1Agreement
            self.topKSetAgreement = topKSetAgreement
            self.identicalValues = identicalValues
            self.maxAbsDelta = maxAbsDelta
            self.fusedInference = fusedInference
        }
        enum CodingKeys: String, CodingKey {
            case records, top1Agreement = "top1_agreement", topKSetAgreement = "topk_set_agreement"
            case identicalValues = "identical_values", maxAbsDelta = "max_abs_delta", fusedInference = "fused_inference"
            case drawAgreement = "draw_agreement", differingDraws = "differing_draws", maxDrawDistance = "max_draw_distance"
        }
    }

    public var paths: [String]
    public var records: Int
    public var chunks: Int
    public var epochs: Int
    /// Known bad samples (failures table): not counted as missing.
    public var knownFailures: Int
    /// Problems found (at most 100 listed) and their total.
    public var problems: [Problem]
    public var problemCount: Int
    /// "match", "mismatch" or "not checked".
    public var dataset: String
    public var replay: Replay?
    /// Every (epoch, sample) has a record or a recorded failure.
    public var complete: Bool
    /// Records a resume still has to compute (only when the last precompute session did not finish;
    /// missing records in a finished store are a `missing` problem instead).
    public var missingRecords: Int
    /// Files whose last precompute session did not finish, with its status (`running`: killed).
    public var unfinishedSessions: [String]
    /// No integrity problem (an incomplete store whose committed chunks are intact is ok).
    public var ok: Bool
    /// The teacher the store records: its architecture (`caller:NAME` for a teacher run by a caller of
    /// the stage) and weights digest.
    public var teacher: StoreMetadata.Teacher? = nil

    enum CodingKeys: String, CodingKey {
        case paths, records, chunks, epochs, knownFailures = "known_failures", problems, problemCount = "problem_count"
        case dataset, replay, complete, missingRecords = "missing_records", unfinishedSessions = "unfinished_sessions", ok
        case teacher
    }
}
