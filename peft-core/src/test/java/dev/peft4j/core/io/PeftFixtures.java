package dev.peft4j.core.io;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The real Hugging Face PEFT adapters in {@code shared/fixtures/peft}, beside the repository
 * (never copied into it). Tests that need them are skipped where they are absent.
 */
final class PeftFixtures {

    /** DistilBERT, LoRA on q_lin and v_lin, fan_in_fan_out false, PEFT 0.17.1. */
    static final String DISTILBERT = "distilbert-lora-qlin-vlin";

    /** GPT-2, LoRA on the Conv1D c_attn, fan_in_fan_out true, PEFT 0.14.0. */
    static final String GPT2 = "gpt2-lora-cattn-fifo";

    private static final Path RELATIVE = Path.of("shared", "fixtures", "peft");

    private PeftFixtures() {}

    /**
     * A fixture's directory, found by walking up from the working directory; skips the calling
     * test when there is none.
     *
     * @param name the fixture's directory name
     * @return the directory
     */
    static Path adapter(String name) {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve(RELATIVE).resolve(name);
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        assumeTrue(false, "PEFT fixture " + name + " not found: no shared/fixtures/peft beside the repository");
        throw new AssertionError("unreachable");
    }
}
