package dev.peft4j.cli;

import static dev.peft4j.cli.MergeFiles.floats;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonPrimitive;
import dev.peft4j.cli.MergeFiles.Tensor;
import dev.peft4j.core.io.AdapterDirectory;
import dev.peft4j.core.io.PeftAdapterConfig;
import dev.peft4j.safetensors.SafetensorsDtype;
import dev.peft4j.testkit.PeftFixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InspectCommandTest {

    @TempDir
    Path dir;

    private static CommandRunner.Result inspect(Path directory) {
        CommandRunner.Result result = CommandRunner.run("inspect", directory.toString());
        assertEquals(0, result.status(), result.err());
        return result;
    }

    private static void assertLines(String out, String... lines) {
        for (String line : lines) {
            assertTrue(out.contains(line + "\n"), () -> "no line '" + line + "' in\n" + out);
        }
    }

    private static int count(Pattern pattern, String text) {
        Matcher matcher = pattern.matcher(text);
        int count = 0;
        while (matcher.find()) {
            count++;
        }
        return count;
    }

    /** A tensor of zeros. */
    private static Tensor f32(String name, int... shape) {
        return floats(
                name,
                SafetensorsDtype.F32,
                new float[Arrays.stream(shape).reduce(1, (a, b) -> a * b)],
                Arrays.stream(shape).asLongStream().toArray());
    }

    @Test
    void gpt2() {
        String out = inspect(PeftFixtures.adapter(PeftFixtures.GPT2)).out();
        assertLines(
                out,
                "method: lora",
                "r = 8, α = 16, scaling = 2.0 (α/r)",
                "target_modules: [c_attn]",
                "modules_to_save: [classifier, score]",
                "fan_in_fan_out: true (base weights stored (in, out), as in GPT-2's Conv1D)",
                "base model: gpt2",
                "12 adapted modules:",
                "No problems found.");
        Pattern module = Pattern.compile(
                "(?m)^  transformer\\.h\\.\\d+\\.attn\\.c_attn +8 +2\\.0 +\\(8, 768\\) +\\(2304, 8\\) +2304 +768 +24,576$");
        assertEquals(12, count(module, out), out);
        assertTrue(
                Pattern.compile("(?m)^  score\\.weight +F32 +\\(2, 768\\) +1,536$")
                        .matcher(out)
                        .find(),
                out);
        assertLines(
                out,
                "Total: 12 adapted modules with 294,912 parameters, 1 saved tensor with 1,536; "
                        + "296,448 parameters in all");
    }

    @Test
    void distilbert() {
        String out = inspect(PeftFixtures.adapter(PeftFixtures.DISTILBERT)).out();
        assertLines(
                out,
                "method: lora",
                "r = 8, α = 16, scaling = 2.0 (α/r)",
                "target_modules: [v_lin, q_lin]",
                "fan_in_fan_out: false",
                "12 adapted modules:",
                "4 saved tensors (modules_to_save, biases), stored whole:",
                "No problems found.");
        for (String projection : List.of("q_lin", "v_lin")) {
            Pattern module = Pattern.compile("(?m)^  distilbert\\.transformer\\.layer\\.[0-5]\\.attention\\."
                    + projection + " +8 +2\\.0 +\\(8, 768\\) +\\(768, 8\\) +768 +768 +12,288$");
            assertEquals(6, count(module, out), out);
        }
    }

    @Test
    void inconsistenciesArePrintedAndTheStatusIsZero() {
        PeftAdapterConfig config = PeftAdapterConfig.builder()
                .setR(8)
                .setTargetModules(List.of("q", "v"))
                .build();
        Path adapter = MergeFiles.adapter(
                dir.resolve("broken"),
                config,
                List.of(
                        f32("h.0.q.lora_A.weight", 8, 16),
                        f32("h.0.v.lora_A.weight", 4, 16),
                        f32("h.0.v.lora_B.weight", 12, 4)));
        String out = inspect(adapter).out();
        assertLines(
                out,
                "2 problems:",
                "  - module 'h.0.q': lora_B.weight is missing",
                "  - module 'h.0.v': lora_A.weight has shape (4, 16) but the config gives r = 8 for this module "
                        + "(rank_pattern applied)");
        assertTrue(
                Pattern.compile("(?m)^  h\\.0\\.q +8 +1\\.0 +\\(8, 16\\) +missing +\\? +16 +128$")
                        .matcher(out)
                        .find(),
                out);
        assertTrue(
                Pattern.compile("(?m)^  h\\.0\\.v +4 +1\\.0 +\\(4, 16\\) +\\(12, 4\\) +12 +16 +112$")
                        .matcher(out)
                        .find(),
                out);
    }

    @Test
    void nanAndInfValuesAreProblemsAndModulesComeInNaturalOrder() {
        float[] withNan = new float[2 * 16];
        withNan[5] = Float.NaN;
        float[] withInf = new float[12 * 2];
        withInf[23] = Float.NEGATIVE_INFINITY;
        List<Tensor> tensors = new ArrayList<>();
        for (int layer : new int[] {10, 2, 1}) {
            tensors.add(
                    layer == 2
                            ? floats("h.2.q.lora_A.weight", SafetensorsDtype.F32, withNan, 2, 16)
                            : f32("h." + layer + ".q.lora_A.weight", 2, 16));
            tensors.add(
                    layer == 10
                            ? floats("h.10.q.lora_B.weight", SafetensorsDtype.F32, withInf, 12, 2)
                            : f32("h." + layer + ".q.lora_B.weight", 12, 2));
        }
        Path adapter = MergeFiles.adapter(
                dir.resolve("nan"),
                PeftAdapterConfig.builder()
                        .setR(2)
                        .setTargetModules(List.of("q"))
                        .build(),
                tensors);
        CommandRunner.Result result = inspect(adapter);
        assertEquals(0, result.status(), result.err());
        String out = result.out();
        assertLines(
                out,
                "2 problems:",
                "  - tensor 'base_model.model.h.2.q.lora_A.weight' holds NaN or Inf (first at flat index 5 of 32)",
                "  - tensor 'base_model.model.h.10.q.lora_B.weight' holds NaN or Inf (first at flat index 23 of 24)");
        int first = out.indexOf("  h.1.q ");
        int second = out.indexOf("  h.2.q ");
        int tenth = out.indexOf("  h.10.q ");
        assertTrue(0 < first && first < second && second < tenth, "h.1, h.2, h.10 in that order:\n" + out);
    }

    @Test
    void doraShowsTheMagnitude() {
        PeftAdapterConfig config = PeftAdapterConfig.builder()
                .setR(2)
                .optLoraAlpha(4)
                .optUseRslora(true)
                .setTargetModules(List.of("q"))
                .optOtherKeys(Map.of("use_dora", new JsonPrimitive(true)))
                .build();
        Path adapter = MergeFiles.adapter(
                dir.resolve("dora"),
                config,
                List.of(
                        f32("h.0.q.lora_A.weight", 2, 16),
                        f32("h.0.q.lora_B.weight", 12, 2),
                        f32("h.0.q.lora_magnitude_vector", 12)));
        String out = inspect(adapter).out();
        assertLines(out, "method: dora", "r = 2, α = 4, scaling = 2.828427 (α/√r, rsLoRA)");
        assertTrue(
                Pattern.compile("(?m)^  module +r +scaling +lora_A +lora_B +d +k +magnitude +parameters$")
                        .matcher(out)
                        .find(),
                out);
        assertTrue(
                Pattern.compile("(?m)^  h\\.0\\.q +2 +2\\.828427 +\\(2, 16\\) +\\(12, 2\\) +12 +16 +\\(12\\) +68$")
                        .matcher(out)
                        .find(),
                out);
    }

    @Test
    void moraShowsTheOperatorAndEachModulesReducedRank() {
        PeftAdapterConfig config = PeftAdapterConfig.builder()
                .setR(8)
                .optLoraAlpha(16)
                .setTargetModules(List.of("q", "v"))
                .optOtherKeys(Map.of("use_mora", new JsonPrimitive(true), "mora_type", new JsonPrimitive(6)))
                .build();
        Path adapter = MergeFiles.adapter(
                dir.resolve("mora"),
                config,
                List.of(
                        f32("h.0.q.lora_A.weight", 36, 36), f32("h.0.q.lora_B.weight", 36, 36),
                        f32("h.0.v.lora_A.weight", 64, 64), f32("h.0.v.lora_B.weight", 64, 64)));
        String out = inspect(adapter).out();
        assertLines(
                out,
                "method: mora",
                "operator: rotation (mora_type 6)",
                "r = 8 (requested; each module's r̂ is below), scaling = 1.0 (MoRA has no α; lora_alpha = 16 is ignored)",
                "No problems found.");
        assertTrue(
                Pattern.compile("(?m)^  h\\.0\\.q +36 +\\(36, 36\\) +1,296$")
                        .matcher(out)
                        .find(),
                out);
        assertTrue(
                Pattern.compile("(?m)^  h\\.0\\.v +64 +\\(64, 64\\) +4,096$")
                        .matcher(out)
                        .find(),
                out);
    }

    @Test
    void anUnreadableDirectoryIsAnErrorWithStatusOne() throws IOException {
        CommandRunner.Result missing =
                CommandRunner.run("inspect", dir.resolve("absent").toString());
        assertEquals(1, missing.status());
        assertTrue(missing.err().startsWith("peft4j: ") && missing.err().contains("does not exist"), missing.err());
        assertEquals(1, missing.err().strip().lines().count(), missing.err());

        Path corrupt = MergeFiles.adapter(
                dir.resolve("corrupt"),
                PeftAdapterConfig.builder()
                        .setR(2)
                        .setTargetModules(List.of("q"))
                        .build(),
                List.of(f32("h.0.q.lora_A.weight", 2, 4), f32("h.0.q.lora_B.weight", 4, 2)));
        Files.write(corrupt.resolve(AdapterDirectory.WEIGHTS_FILE), new byte[] {1, 2, 3});
        CommandRunner.Result truncated = CommandRunner.run("inspect", corrupt.toString());
        assertEquals(1, truncated.status());
        assertTrue(truncated.err().startsWith("peft4j: ") && truncated.err().contains("truncated"), truncated.err());
    }
}
