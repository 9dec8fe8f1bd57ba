package dev.peft4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.EngineException;
import dev.peft4j.spi.PeftException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.InvalidPathException;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Failures a user can cause become one line with the cause and the fix; bugs keep their stack trace. */
class FailureMessageTest {

    @Test
    void outOfMemoryNamesTheSizesAndTheHeapOption() {
        String message = FailureMessage.of(new RuntimeException(new OutOfMemoryError("Java heap space")))
                .orElseThrow();
        assertTrue(message.startsWith("Out of memory (Java heap space): lower the sizes (--pairs, --hidden"), message);
        assertTrue(message.contains("PEFT4J_JAVA_OPTS=-Xmx8g"), message);
    }

    @Test
    void fileSystemFailuresNameThePathAndTheCause() {
        assertEquals(
                Optional.of(
                        "/data/x.safetensors: permission denied; fix its permissions (chmod) or choose another path"),
                FailureMessage.of(new UncheckedIOException(new AccessDeniedException("/data/x.safetensors"))));
        assertEquals(
                Optional.of("Cannot open /data/x: /data/x (permission denied)"),
                FailureMessage.of(
                        new PeftException("Cannot open /data/x: /data/x", new AccessDeniedException("/data/x"))));
    }

    @Test
    void anUnmappablePathNamesTheLocaleFix() {
        String message = FailureMessage.invalidPath(
                new InvalidPathException("modèle", "Malformed input or input contains " + "unmappable characters"));
        assertTrue(message.startsWith("'modèle' is not a valid path here: Malformed input"), message);
        assertTrue(message.endsWith("run under a UTF-8 locale, for example LC_ALL=C.UTF-8"), message);
    }

    @Test
    void engineFailuresAreOneLine() {
        String message = FailureMessage.of(new EngineException("CUDA out of memory.\n  at native frame"))
                .orElseThrow();
        assertEquals(
                "The engine failed: CUDA out of memory.; when it ran out of memory, lower the sizes or choose another "
                        + "--device",
                message);
    }

    @Test
    void bugsAreNotDressedUp() {
        assertEquals(Optional.empty(), FailureMessage.of(new NullPointerException("x")));
    }
}
