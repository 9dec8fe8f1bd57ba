package dev.peft4j.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class DjlEngineBindingTest {

    @Test
    void theRequiredDjlVersionIsTheOneTheBuildUses() {
        assertEquals(
                Engine.getDjlVersion(), DjlEngineBinding.DJL_VERSION, "update DJL_VERSION with djl.version in the POM");
        assertEquals(Optional.empty(), DjlEngineBinding.versionProblem(Engine.getDjlVersion()));
    }

    @Test
    void anotherDjlVersionIsRefusedNamingBothAndTheFix() {
        assertEquals(
                Optional.of("peft4j needs DJL 0.35.0 but the class path has DJL 0.34.0 (ai.djl:api): import "
                        + "ai.djl:bom:0.35.0 in your dependencyManagement, or remove the other DJL version"),
                DjlEngineBinding.versionProblem("0.34.0"));
    }
}
