package dev.peft4j.cli;

import static dev.peft4j.cli.MergeFiles.exact;
import static dev.peft4j.cli.MergeFiles.floats;
import static dev.peft4j.cli.MergeFiles.gaussian;
import static dev.peft4j.cli.ReferenceMerge.matrix;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonPrimitive;
import dev.peft4j.cli.MergeFiles.Tensor;
import dev.peft4j.core.io.PeftAdapterConfig;
import dev.peft4j.core.io.StreamingMerge;
import dev.peft4j.safetensors.SafetensorsDtype;
import dev.peft4j.safetensors.SafetensorsFile;
import dev.peft4j.spi.EngineBinding;
import dev.peft4j.testkit.EngineSource;
import dev.peft4j.testkit.MoraReference;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.BiFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link StreamingMerge} on a small synthetic model, one merge per method, compared with the
 * merged weights computed in plain Java doubles from the values written to the files
 * ({@link ReferenceMerge}): adapted weights are W0 + ΔW in their own dtype (F32, F16 and BF16 merged
 * in float32 and cast back), saved tensors replace theirs, everything else is byte-identical, and
 * the output keeps the base's header.
 */
class StreamingMergeTest {

    private static final String Q = "model.layers.0.q";
    private static final String V = "model.layers.0.v";
    private static final String O = "model.layers.0.o";
    private static final int K = 32;

    @TempDir
    Path dir;

    private final Random random = new Random(11);

    /** The base model's float values by tensor name. */
    private final Map<String, float[]> values = new LinkedHashMap<>();

    /** The base model's tensors: F32, F16 and BF16 weights, biases, an I64 buffer, a classifier. */
    private final List<Tensor> baseTensors = new ArrayList<>();

    StreamingMergeTest() {
        addBase("model.embed.weight", SafetensorsDtype.F32, 10, K);
        addBase(Q + ".weight", SafetensorsDtype.F32, 24, K);
        addBase(Q + ".bias", SafetensorsDtype.F32, 24);
        addBase(V + ".weight", SafetensorsDtype.F16, K, K);
        addBase(O + ".weight", SafetensorsDtype.BF16, K, K);
        addBase(O + ".bias", SafetensorsDtype.F32, K);
        addBase("model.norm.weight", SafetensorsDtype.BF16, K);
        addBase("classifier.weight", SafetensorsDtype.F32, 3, K);
        addBase("classifier.bias", SafetensorsDtype.F32, 3);
        baseTensors.add(MergeFiles.longs("model.position_ids", new long[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 1, 10));
    }

    private void addBase(String name, SafetensorsDtype dtype, long... shape) {
        float[] tensor = exact(random, Math.toIntExact(Arrays.stream(shape).reduce(1, (a, b) -> a * b)), 0.5f);
        values.put(name, tensor);
        baseTensors.add(floats(name, dtype, tensor, shape));
    }

    private double[][] w0(String module) {
        float[] w = values.get(module + ".weight");
        return matrix(w, w.length / K, K);
    }

    static Stream<Arguments> enginesAndMoraTypes() {
        return dev.peft4j.testkit.TestEngines.all()
                .flatMap(engine -> Stream.of(Arguments.of(engine, 1), Arguments.of(engine, 6)));
    }

    @ParameterizedTest
    @EngineSource
    void loraWithPatternsAndSavedTensors(EngineBinding engine) throws IOException {
        PeftAdapterConfig config = PeftAdapterConfig.builder()
                .setR(4)
                .optLoraAlpha(8)
                .setTargetModules(List.of("q", "v", "o"))
                .optRankPattern(Map.of("v", 2))
                .optAlphaPattern(Map.of("o", 4.0))
                .optModulesToSave(List.of("classifier"))
                .optBias(PeftAdapterConfig.Bias.LORA_ONLY)
                .build();
        List<Tensor> tensors = new ArrayList<>();
        Map<String, double[][]> expected = new LinkedHashMap<>();
        expected.put(Q + ".weight", lora(tensors, Q, 4, 2.0));
        expected.put(V + ".weight", lora(tensors, V, 2, 4.0));
        expected.put(O + ".weight", lora(tensors, O, 4, 1.0));
        Map<String, float[]> saved = new LinkedHashMap<>();
        saved.put(Q + ".bias", gaussian(random, 24, 1));
        saved.put("classifier.weight", gaussian(random, 3 * K, 1));
        saved.put("classifier.bias", gaussian(random, 3, 1));
        saved.forEach((name, tensor) -> tensors.add(floats(name, SafetensorsDtype.F32, tensor, shapeOf(name))));

        StreamingMerge.Summary summary = mergeAndCheck(engine, config, tensors, expected, saved);
        assertEquals(new StreamingMerge.Summary(3, 3, 4), summary);
    }

    @ParameterizedTest
    @EngineSource
    void loraIntoWeightsStoredInOutWithFanInFanOut(EngineBinding engine) throws IOException {
        values.clear();
        baseTensors.clear();
        addBase("transformer.wte.weight", SafetensorsDtype.F32, 20, K);
        addBase("transformer.h.0.attn.c_attn.weight", SafetensorsDtype.F32, K, 48);
        addBase("transformer.h.0.attn.c_attn.bias", SafetensorsDtype.F32, 48);
        addBase("transformer.h.1.attn.c_attn.weight", SafetensorsDtype.F16, K, 48);
        PeftAdapterConfig config = PeftAdapterConfig.builder()
                .setR(4)
                .optLoraAlpha(16)
                .setTargetModules(List.of("c_attn"))
                .optFanInFanOut(true)
                .build();
        List<Tensor> tensors = new ArrayList<>();
        Map<String, double[][]> expected = new LinkedHashMap<>();
        for (String module : List.of("transformer.h.0.attn.c_attn", "transformer.h.1.attn.c_attn")) {
            float[] a = gaussian(random, 4 * K, 0.5);
            float[] b = gaussian(random, 48 * 4, 0.5);
            tensors.add(floats(module + ".lora_A.weight", SafetensorsDtype.F32, a, 4, K));
            tensors.add(floats(module + ".lora_B.weight", SafetensorsDtype.F32, b, 48, 4));
            double[][] stored = matrix(values.get(module + ".weight"), K, 48);
            double[][] delta = ReferenceMerge.times(matrix(b, 48, 4), matrix(a, 4, K));
            expected.put(module + ".weight", ReferenceMerge.plus(stored, 4.0, ReferenceMerge.transpose(delta)));
        }
        assertEquals(new StreamingMerge.Summary(2, 0, 2), mergeAndCheck(engine, config, tensors, expected, Map.of()));
    }

    /** DoRA, the magnitude in both of PEFT's spellings. */
    @ParameterizedTest
    @EngineSource
    void dora(EngineBinding engine) throws IOException {
        PeftAdapterConfig config = PeftAdapterConfig.builder()
                .setR(4)
                .optLoraAlpha(8)
                .setTargetModules(List.of("q", "v", "o"))
                .optOtherKeys(Map.of("use_dora", new JsonPrimitive(true)))
                .build();
        List<Tensor> tensors = new ArrayList<>();
        Map<String, double[][]> expected = new LinkedHashMap<>();
        for (String module : List.of(Q, V, O)) {
            double[][] w0 = w0(module);
            int d = w0.length;
            float[] a = gaussian(random, 4 * K, 0.5);
            float[] b = gaussian(random, d * 4, 0.5);
            float[] magnitude = new float[d];
            for (int o = 0; o < d; o++) {
                magnitude[o] = 1 + random.nextFloat();
            }
            tensors.add(floats(module + ".lora_A.weight", SafetensorsDtype.F32, a, 4, K));
            tensors.add(floats(module + ".lora_B.weight", SafetensorsDtype.F32, b, d, 4));
            String spelling = module.equals(O) ? ".lora_magnitude_vector.weight" : ".lora_magnitude_vector";
            tensors.add(floats(module + spelling, SafetensorsDtype.F32, magnitude, d));
            expected.put(module + ".weight", ReferenceMerge.dora(w0, matrix(a, 4, K), matrix(b, d, 4), magnitude, 2.0));
        }
        assertEquals(new StreamingMerge.Summary(3, 0, 7), mergeAndCheck(engine, config, tensors, expected, Map.of()));
    }

    @ParameterizedTest
    @MethodSource("enginesAndMoraTypes")
    void mora(EngineBinding engine, int type) throws IOException {
        PeftAdapterConfig config = PeftAdapterConfig.builder()
                .setR(1)
                .setTargetModules(List.of("q", "v", "o"))
                .optOtherKeys(Map.of("use_mora", new JsonPrimitive(true), "mora_type", new JsonPrimitive(type)))
                .build();
        BiFunction<double[][], double[][], double[][]> reference =
                type == 1 ? ReferenceMerge::moraType1 : ReferenceMerge::moraType6;
        List<Tensor> tensors = new ArrayList<>();
        Map<String, double[][]> expected = new LinkedHashMap<>();
        for (String module : List.of(Q, V, O)) {
            double[][] w0 = w0(module);
            int rank = MoraReference.officialRank(w0.length, K, 1);
            int side = type == 6 ? rank / 2 * 2 : rank;
            float[] m = gaussian(random, side * side, 0.3);
            tensors.add(floats(module + ".lora_A.weight", SafetensorsDtype.F32, m, side, side));
            tensors.add(floats(module + ".lora_B.weight", SafetensorsDtype.F32, m, side, side));
            expected.put(module + ".weight", reference.apply(w0, matrix(m, side, side)));
        }
        assertEquals(new StreamingMerge.Summary(3, 0, 7), mergeAndCheck(engine, config, tensors, expected, Map.of()));
    }

    /** Adds a LoRA module's A (r, k) and B (d, r) and returns its reference merge with scaling s. */
    private double[][] lora(List<Tensor> tensors, String module, int rank, double scaling) {
        double[][] w0 = w0(module);
        int d = w0.length;
        float[] a = gaussian(random, rank * K, 0.5);
        float[] b = gaussian(random, d * rank, 0.5);
        tensors.add(floats(module + ".lora_A.weight", SafetensorsDtype.F32, a, rank, K));
        tensors.add(floats(module + ".lora_B.weight", SafetensorsDtype.F32, b, d, rank));
        return ReferenceMerge.lora(w0, matrix(a, rank, K), matrix(b, d, rank), scaling);
    }

    private long[] shapeOf(String name) {
        return baseTensors.stream()
                .filter(t -> t.name().equals(name))
                .findFirst()
                .orElseThrow()
                .spec()
                .shape()
                .getShape();
    }

    private StreamingMerge.Summary mergeAndCheck(
            EngineBinding engine,
            PeftAdapterConfig config,
            List<Tensor> adapterTensors,
            Map<String, double[][]> expected,
            Map<String, float[]> saved)
            throws IOException {
        Path base = MergeFiles.write(dir.resolve("model.safetensors"), baseTensors, Map.of("note", "base"));
        Path adapter = MergeFiles.adapter(dir.resolve("adapter"), config, adapterTensors);
        Path output = dir.resolve("merged.safetensors");
        StreamingMerge.Summary summary;
        try (NDManager manager =
                NDManager.newBaseManager(Device.cpu(), engine.engine().getEngineName())) {
            summary = StreamingMerge.merge(base, adapter, output, manager, StreamingMerge.Options.defaults());
        }
        assertArrayEquals(header(base), header(output), "the base's layout and metadata");
        try (SafetensorsFile in = SafetensorsFile.open(base);
                SafetensorsFile out = SafetensorsFile.open(output)) {
            assertEquals(Map.of("format", "pt", "note", "base"), out.metadata());
            for (String name : in.tensors().keySet()) {
                if (expected.containsKey(name)) {
                    assertClose(
                            expected.get(name),
                            out.readFloats(name),
                            out.tensor(name).dtype(),
                            name);
                } else if (saved.containsKey(name)) {
                    assertArrayEquals(saved.get(name), out.readFloats(name), name);
                } else {
                    assertEquals(in.readBytes(name), out.readBytes(name), name + " is copied unchanged");
                }
            }
        }
        assertEquals(List.of("adapter", "merged.safetensors", "model.safetensors"), MergeFiles.fileNames(dir));
        return summary;
    }

    private static void assertClose(double[][] expected, float[] actual, SafetensorsDtype dtype, String name) {
        int cols = expected[0].length;
        assertEquals(expected.length * cols, actual.length, name);
        double relative = switch (dtype.name()) {
            case "F32" -> 1e-5;
            case "F16" -> 1.0 / 1024;
            case "BF16" -> 1.0 / 128;
            default -> throw new IllegalArgumentException(dtype.toString());
        };
        for (int i = 0; i < actual.length; i++) {
            double want = expected[i / cols][i % cols];
            double tolerance = relative * Math.max(1, Math.abs(want));
            if (Math.abs(actual[i] - want) > tolerance) {
                fail(name + " (" + dtype + ") at [" + i / cols + ", " + i % cols + "]: expected " + want + ", got "
                        + actual[i] + " (tolerance " + tolerance + ")");
            }
        }
    }

    private static byte[] header(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        long length =
                ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        return Arrays.copyOf(bytes, Math.toIntExact(8 + length));
    }
}
