package dev.peft4j.testkit;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The real stories260k Llama of the project's test data, found by walking up from the working
 * directory to a {@code shared/models} directory; tests that need it are skipped where it is absent.
 */
public final class Stories260k {

    private Stories260k() {}

    /**
     * The model's directory, found by walking up from the working directory.
     *
     * @return the directory
     */
    public static Path directory() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("shared/models/stories260k");
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        assumeTrue(false, "stories260k not found: no shared/models beside the repository");
        throw new AssertionError("unreachable");
    }
}
