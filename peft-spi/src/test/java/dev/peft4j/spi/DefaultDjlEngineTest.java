package dev.peft4j.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class DefaultDjlEngineTest {

    private String saved;

    @BeforeEach
    void clear() {
        assumeTrue(System.getenv(DefaultDjlEngine.VARIABLE) == null, "DJL_DEFAULT_ENGINE is set here");
        saved = System.getProperty(DefaultDjlEngine.PROPERTY);
        System.clearProperty(DefaultDjlEngine.PROPERTY);
    }

    @AfterEach
    void restore() {
        if (saved == null) {
            System.clearProperty(DefaultDjlEngine.PROPERTY);
        } else {
            System.setProperty(DefaultDjlEngine.PROPERTY, saved);
        }
    }

    @Test
    void theFirstEngineBecomesTheDefaultAndStaysIt() {
        DefaultDjlEngine.preferIfUnchosen("PyTorch");
        DefaultDjlEngine.preferIfUnchosen("MXNet");
        assertEquals("PyTorch", System.getProperty(DefaultDjlEngine.PROPERTY));
    }

    @Test
    void theUsersChoiceIsKept() {
        System.setProperty(DefaultDjlEngine.PROPERTY, "MXNet");
        DefaultDjlEngine.preferIfUnchosen("PyTorch");
        assertEquals("MXNet", System.getProperty(DefaultDjlEngine.PROPERTY));
    }
}
