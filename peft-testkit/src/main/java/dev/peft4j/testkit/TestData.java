package dev.peft4j.testkit;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The one place tests find the project's test data: real pretrained models and adapters written
 * by Hugging Face PEFT, kept in a directory beside the checkout and never copied into it. The
 * directory is the one the system property {@value #PROPERTY} names or, without it, the nearest
 * {@value #DIRECTORY_NAME} directory found walking up from the working directory. Tests that need
 * data which is absent (a fresh clone) are skipped with a message naming what was missing.
 */
public final class TestData {

    /** The system property that names the test-data directory explicitly. */
    public static final String PROPERTY = "peft4j.testData";

    /** The test-data directory's name beside the checkout. */
    public static final String DIRECTORY_NAME = "shared";

    private TestData() {}

    /**
     * A directory inside the test data; skips the calling test when it is absent.
     *
     * @param relative the directory's path inside the test data, for example {@code models/stories260k}
     * @return the directory
     */
    public static Path directory(String relative) {
        String configured = System.getProperty(PROPERTY);
        if (configured != null) {
            Path candidate = Path.of(configured).resolve(relative);
            assumeTrue(Files.isDirectory(candidate), "Test data " + candidate + " not found (-D" + PROPERTY + ")");
            return candidate;
        }
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve(DIRECTORY_NAME).resolve(relative);
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        assumeTrue(
                false,
                "Test data " + relative + " not found: no " + DIRECTORY_NAME
                        + " directory beside the checkout and no -D" + PROPERTY);
        throw new AssertionError("unreachable");
    }
}
