package dev.peft4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import dev.peft4j.core.AdaptedLayer;
import dev.peft4j.core.Backend;
import dev.peft4j.core.TargetModules;
import dev.peft4j.models.CausalLm;
import dev.peft4j.spi.AdapterConfig;
import dev.peft4j.spi.InPlace;
import dev.peft4j.spi.Plugins;
import dev.peft4j.testkit.Stories260k;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code peft4j generate} with one adapter per prompt gives each prompt what it gets alone with that adapter. */
class GeneratePerPromptAdaptersTest {

    private static final String[] PROMPTS = {"Once upon a time", "Tom had a red ball", "The little dog"};

    @TempDir
    Path dir;

    private Path a;
    private Path b;

    @BeforeEach
    void adapters() {
        a = adapter("a", 0.5f);
        b = adapter("b", -0.5f);
    }

    /** A LoRA adapter on q_proj, v_proj of stories260k whose B is a constant, so it changes the text. */
    private Path adapter(String name, float value) {
        try (CausalLm lm =
                CausalLm.load(Stories260k.directory(), Backend.select("pytorch", "cpu", Plugins.defaults()))) {
            lm.peft()
                    .addAdapter(
                            name,
                            AdapterConfig.builder("lora").setRank(4).optAlpha(8).build(),
                            TargetModules.names("q_proj", "v_proj"));
            for (AdaptedLayer layer : lm.peft().layers().values()) {
                NDArray bArray = layer.adapters()
                        .get(name)
                        .peftParameters()
                        .get("lora_B.weight")
                        .getArray();
                InPlace.copy(bArray.onesLike().mul(value), bArray);
            }
            Path out = dir.resolve(name);
            lm.saveAdapter(name, out);
            return out;
        }
    }

    private static List<String> lines(CommandRunner.Result result) {
        assertEquals(0, result.status(), result.err());
        return result.out().lines().toList();
    }

    private static List<String> generate(String... args) {
        List<String> all = new ArrayList<>(List.of("--max-new-tokens", "12"));
        all.addAll(List.of(args));
        return lines(run(all.toArray(String[]::new)));
    }

    /** peft4j generate on stories260k with these arguments. */
    private static CommandRunner.Result run(String... args) {
        List<String> all = new ArrayList<>(
                List.of("generate", "--model", Stories260k.directory().toString()));
        all.addAll(List.of(args));
        return CommandRunner.run(all.toArray(String[]::new));
    }

    @Test
    void eachPromptGetsWhatItGetsAloneWithItsAdapter() throws IOException {
        String namedA = "a=" + a;
        String namedB = "b=" + b;
        List<String> alone = List.of(
                generate("--adapter", namedA, "--use", "a", "--prompt", PROMPTS[0])
                        .get(0),
                generate("--adapter", namedB, "--use", "b", "--prompt", PROMPTS[1])
                        .get(0),
                generate("--prompt", PROMPTS[2]).get(0));
        assertNotEquals(alone.get(0), generate("--prompt", PROMPTS[0]).get(0), "adapter a changes the text");

        List<String> batch = generate(
                "--adapter",
                namedA,
                "--adapter",
                namedB,
                "--prompt",
                PROMPTS[0],
                "--prompt",
                PROMPTS[1],
                "--prompt",
                PROMPTS[2],
                "--use",
                "a",
                "--use",
                "b",
                "--use",
                "none");
        assertEquals(alone, batch);

        Path file = Files.writeString(
                dir.resolve("prompts.jsonl"),
                "{\"prompt\": \"" + PROMPTS[0] + "\", \"adapter\": \"a\"}\n"
                        + "{\"prompt\": \"" + PROMPTS[1] + "\", \"adapter\": \"b\"}\n"
                        + "{\"prompt\": \"" + PROMPTS[2] + "\"}\n");
        assertEquals(alone, generate("--adapter", namedA, "--adapter", namedB, "--prompts", file.toString()));
    }

    @Test
    void unknownOrMiscountedAdaptersAreOneLineErrors() {
        CommandRunner.Result unknown = run("--adapter", "a=" + a, "--prompt", "Hi", "--use", "c");
        assertEquals(1, unknown.status());
        assertTrue(unknown.err().contains("No adapter named 'c'. Adapters: [a]"), unknown.err());
        CommandRunner.Result count = run(
                "--adapter",
                "a=" + a,
                "--prompt",
                "Hi",
                "--prompt",
                "Ho",
                "--prompt",
                "Ha",
                "--use",
                "a",
                "--use",
                "none");
        assertEquals(2, count.status(), count.err());
        assertTrue(count.err().contains("--use is given 2 times for 3 prompts"), count.err());
    }

    @Test
    void badPromptLinesAndTheReservedNameAreRefusedWithTheirPlace() throws IOException {
        Path prompts = dir.resolve("prompts.jsonl");
        Files.writeString(
                prompts, "{\"prompt\": \"Hi\", \"adapter\": \"a\"}\n{\"prompt\": \"Ho\", \"adaptor\": \"a\"}\n");
        CommandRunner.Result misspelt = run("--adapter", "a=" + a, "--prompts", prompts.toString());
        assertEquals(1, misspelt.status());
        assertTrue(misspelt.err().contains(prompts + ":2: unknown key \"adaptor\""), misspelt.err());

        Files.writeString(prompts, "{\"prompt\": \"Hi\"}\n{\"prompt\": \"Ho\", \"adapter\": \"c\"}\n");
        CommandRunner.Result unknown = run("--adapter", "a=" + a, "--prompts", prompts.toString());
        assertEquals(1, unknown.status());
        assertTrue(unknown.err().contains(prompts + ":2: No adapter named 'c'. Adapters: [a]"), unknown.err());

        CommandRunner.Result reserved = run("--adapter", "none=" + a, "--prompt", "Hi");
        assertEquals(1, reserved.status());
        assertTrue(reserved.err().contains("the name 'none' stands for the base model"), reserved.err());
    }
}
