package dev.peft4j.testkit;

import java.nio.file.Path;

/**
 * The real stories260k Llama of the project's test data (see {@link TestData}); tests that need it
 * are skipped where it is absent.
 */
public final class Stories260k {

    private Stories260k() {}

    /**
     * The model's directory.
     *
     * @return the directory
     */
    public static Path directory() {
        return TestData.directory("models/stories260k");
    }
}
