package dev.peft4j.cli;

import static dev.peft4j.cli.MergeFiles.floats;
import static dev.peft4j.cli.MergeFiles.gaussian;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peft4j.core.io.PeftAdapterConfig;
import dev.peft4j.safetensors.SafetensorsDtype;
import dev.peft4j.safetensors.SafetensorsFile;
import dev.peft4j.safetensors.SafetensorsWriter;
import dev.peft4j.spi.EngineBinding;
import dev.peft4j.testkit.EngineSource;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;

/** {@code peft4j merge}: its options, summary and one-line errors (the merge itself: {@link StreamingMergeTest}). */
class MergeCommandTest {

    @TempDir
    Path dir;

    private Path base;
    private Path adapter;
    private Path output;

    @BeforeEach
    void files() {
        Random random = new Random(3);
        base = MergeFiles.write(
                dir.resolve("model.safetensors"),
                List.of(
                        floats("h.0.q.weight", SafetensorsDtype.F32, MergeFiles.exact(random, 48, 0.5f), 6, 8),
                        floats("h.0.v.weight", SafetensorsDtype.F32, MergeFiles.exact(random, 48, 0.5f), 6, 8),
                        MergeFiles.longs("position_ids", new long[] {0, 1}, 2)),
                Map.of());
        adapter = MergeFiles.adapter(
                dir.resolve("adapter"),
                PeftAdapterConfig.builder()
                        .setR(2)
                        .setTargetModules(List.of("q", "v"))
                        .build(),
                List.of(
                        floats("model.h.0.q.lora_A.weight", SafetensorsDtype.F32, gaussian(random, 16, 1), 2, 8),
                        floats("model.h.0.q.lora_B.weight", SafetensorsDtype.F32, gaussian(random, 12, 1), 6, 2),
                        floats("model.h.0.v.lora_A.weight", SafetensorsDtype.F32, gaussian(random, 16, 1), 2, 8),
                        floats("model.h.0.v.lora_B.weight", SafetensorsDtype.F32, gaussian(random, 12, 1), 6, 2)));
        output = dir.resolve("merged.safetensors");
    }

    @ParameterizedTest
    @EngineSource
    void mergesWithAPrefixMapAndPrintsASummary(EngineBinding engine) {
        CommandRunner.Result result = CommandRunner.run(
                "merge",
                "--base",
                base.toString(),
                "--adapter",
                adapter.toString(),
                "--out",
                output.toString(),
                "--prefix-map",
                "model=",
                "--engine",
                engine.name(),
                "--device",
                "cpu");
        assertEquals(0, result.status(), result.err());
        assertTrue(
                Pattern.compile("Wrote " + Pattern.quote(output.toString()) + ": 2 weights merged, 0 tensors replaced, "
                                + "1 copied unchanged \\(\\d+\\.\\d s, " + engine.name() + " on cpu\\(\\)\\)\n")
                        .matcher(result.out())
                        .matches(),
                result.out());
        try (SafetensorsFile in = SafetensorsFile.open(base);
                SafetensorsFile out = SafetensorsFile.open(output)) {
            assertEquals(in.tensors(), out.tensors());
            assertFalse(in.readBytes("h.0.q.weight").equals(out.readBytes("h.0.q.weight")), "q was merged");
            assertEquals(in.readBytes("position_ids"), out.readBytes("position_ids"));
        }
    }

    @Test
    void aMissingTargetIsAOneLineErrorAndNothingIsWritten() {
        CommandRunner.Result result = CommandRunner.run(
                "merge", "--base", base.toString(), "--adapter", adapter.toString(), "--out", output.toString());
        assertEquals(1, result.status());
        assertTrue(
                result.err()
                        .startsWith("peft4j: " + base
                                + " has no tensor 'model.h.0.q.weight' for the weight of adapted module "
                                + "'model.h.0.q'"),
                result.err());
        assertTrue(result.err().contains("prefix rule 'model='"), result.err());
        assertEquals(1, result.err().strip().lines().count(), result.err());
        assertFalse(Files.exists(output));
        assertEquals(List.of("adapter", "model.safetensors"), MergeFiles.fileNames(dir));
    }

    @Test
    void anIndexFileAsBaseMergesEveryShardIntoANewDirectory() throws IOException {
        Path sharded = Files.createDirectory(dir.resolve("sharded"));
        Random random = new Random(5);
        MergeFiles.write(
                sharded.resolve("model-00001-of-00002.safetensors"),
                List.of(floats("h.0.q.weight", SafetensorsDtype.F32, MergeFiles.exact(random, 48, 0.5f), 6, 8)),
                Map.of());
        MergeFiles.write(
                sharded.resolve("model-00002-of-00002.safetensors"),
                List.of(floats("h.0.v.weight", SafetensorsDtype.F32, MergeFiles.exact(random, 48, 0.5f), 6, 8)),
                Map.of());
        Path index = Files.writeString(
                sharded.resolve("model.safetensors.index.json"),
                "{\"metadata\": {\"total_size\": 384}, \"weight_map\": {"
                        + "\"h.0.q.weight\": \"model-00001-of-00002.safetensors\","
                        + " \"h.0.v.weight\": \"model-00002-of-00002.safetensors\"}}");
        Path out = dir.resolve("merged-model");
        CommandRunner.Result result = CommandRunner.run(
                "merge",
                "--base",
                index.toString(),
                "--adapter",
                adapter.toString(),
                "--out",
                out.toString(),
                "--prefix-map",
                "model=");
        assertEquals(0, result.status(), result.err());
        assertTrue(result.out().startsWith("Wrote " + out + ": 2 weights merged"), result.out());
        assertEquals(
                List.of(
                        "model-00001-of-00002.safetensors",
                        "model-00002-of-00002.safetensors",
                        "model.safetensors.index.json"),
                MergeFiles.fileNames(out));
    }

    @Test
    void aDirectoryWithoutWeightsIsAOneLineErrorThatSaysWhatWasExpected() throws IOException {
        Path empty = Files.createDirectory(dir.resolve("empty-model"));
        CommandRunner.Result result = CommandRunner.run(
                "merge",
                "--base",
                empty.toString(),
                "--adapter",
                adapter.toString(),
                "--out",
                dir.resolve("merged-model").toString());
        assertEquals(1, result.status());
        assertEquals(
                "peft4j: No model.safetensors or model.safetensors.index.json in " + empty + "; --base takes a model"
                        + " directory, the index of a sharded checkpoint, or one .safetensors file",
                result.err().strip());
    }

    @Test
    void anFp8TensorIsCopiedBitForBitAndOnlyMergingIntoItIsRefused() throws IOException {
        byte[] fp8 = new byte[48];
        new Random(9).nextBytes(fp8);
        Path mixed = MergeFiles.write(
                dir.resolve("mixed.safetensors"),
                List.of(
                        floats("h.0.q.weight", SafetensorsDtype.F32, MergeFiles.exact(new Random(4), 48, 0.5f), 6, 8),
                        MergeFiles.tensor("h.0.v.weight", SafetensorsDtype.F8_E4M3, fp8, 6, 8)),
                Map.of());
        Path qOnly = MergeFiles.adapter(
                dir.resolve("q-adapter"),
                PeftAdapterConfig.builder()
                        .setR(2)
                        .setTargetModules(List.of("q"))
                        .build(),
                List.of(
                        floats("h.0.q.lora_A.weight", SafetensorsDtype.F32, gaussian(new Random(5), 16, 1), 2, 8),
                        floats("h.0.q.lora_B.weight", SafetensorsDtype.F32, gaussian(new Random(6), 12, 1), 6, 2)));
        CommandRunner.Result merged = CommandRunner.run(
                "merge", "--base", mixed.toString(), "--adapter", qOnly.toString(), "--out", output.toString());
        assertEquals(0, merged.status(), merged.err());
        try (SafetensorsFile out = SafetensorsFile.open(output)) {
            assertEquals(SafetensorsDtype.F8_E4M3, out.tensor("h.0.v.weight").dtype());
            assertEquals(ByteBuffer.wrap(fp8), out.readBytes("h.0.v.weight"));
        }
        CommandRunner.Result refused = CommandRunner.run(
                "merge",
                "--base",
                mixed.toString(),
                "--adapter",
                adapter.toString(),
                "--out",
                dir.resolve("other.safetensors").toString(),
                "--prefix-map",
                "model=");
        assertEquals(1, refused.status());
        assertTrue(
                refused.err()
                        .startsWith("peft4j: Tensor 'h.0.v.weight' of " + mixed + " is F8_E4M3, not a"
                                + " floating-point tensor"),
                refused.err());
    }

    @Test
    void aBaseWithoutMetadataGivesAnOutputWithoutMetadata() {
        Path bare = dir.resolve("bare.safetensors");
        try (SafetensorsFile file = SafetensorsFile.open(base);
                SafetensorsWriter writer = SafetensorsWriter.createInOrder(
                        bare, List.copyOf(file.tensors().values()), null)) {
            file.tensors().keySet().forEach(name -> writer.copy(file, name));
            writer.commit();
        }
        CommandRunner.Result result = CommandRunner.run(
                "merge",
                "--base",
                bare.toString(),
                "--adapter",
                adapter.toString(),
                "--out",
                output.toString(),
                "--prefix-map",
                "model=");
        assertEquals(0, result.status(), result.err());
        try (SafetensorsFile out = SafetensorsFile.open(output)) {
            assertFalse(out.hasMetadata(), "an absent __metadata__ stays absent");
        }
    }

    @Test
    void aMalformedPrefixMapIsAOneLineError() {
        CommandRunner.Result result = CommandRunner.run(
                "merge",
                "--base",
                base.toString(),
                "--adapter",
                adapter.toString(),
                "--out",
                output.toString(),
                "--prefix-map",
                "model");
        assertEquals(1, result.status());
        assertEquals(
                "peft4j: Path map rule 'model' must be written FROM=TO",
                result.err().strip());
        assertFalse(Files.exists(output));
    }

    @Test
    void theThreePathsAreRequired() {
        CommandRunner.Result result = CommandRunner.run("merge", "--base", base.toString());
        assertEquals(2, result.status());
        assertTrue(result.err().contains("Missing required options: '--adapter=DIR', '--out=OUT'"), result.err());
    }
}
