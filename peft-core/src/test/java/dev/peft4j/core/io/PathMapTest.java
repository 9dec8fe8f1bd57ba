package dev.peft4j.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class PathMapTest {

    @Test
    void rewritesWholeSegmentPrefixesWithTheFirstMatchingRule() {
        PathMap map = PathMap.parse(List.of("transformer.h=blocks", "transformer=", "=model"));
        assertEquals("blocks.0.attn.c_attn", map.apply("transformer.h.0.attn.c_attn"));
        assertEquals("wte", map.apply("transformer.wte"));
        assertEquals("model.score", map.apply("score"));
        assertEquals("model.transformerx.h", map.apply("transformerx.h"), "only whole segments match");
        assertEquals("blocks", map.apply("transformer.h"));
    }

    @Test
    void theInverseUndoesIt() {
        PathMap map = PathMap.parse(List.of("distilbert.transformer.layer=layers"));
        String djl = map.apply("distilbert.transformer.layer.3.attention.q_lin");
        assertEquals("layers.3.attention.q_lin", djl);
        assertEquals(
                "distilbert.transformer.layer.3.attention.q_lin", map.inverse().apply(djl));
        assertEquals("other.path", PathMap.identity().apply("other.path"));
    }

    @Test
    void malformedRulesAreRejected() {
        IllegalArgumentException noEquals =
                assertThrows(IllegalArgumentException.class, () -> PathMap.parse(List.of("a.b")));
        assertEquals("Path map rule 'a.b' must be written FROM=TO", noEquals.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PathMap.parse(List.of(".a=b")));
        assertThrows(IllegalArgumentException.class, () -> PathMap.parse(List.of("a..=b")));
    }

    @Test
    void aTrailingDotMeansTheSameAsNone() {
        PathMap dotted = PathMap.parse(List.of("transformer.=", "=model."));
        PathMap plain = PathMap.parse(List.of("transformer=", "=model"));
        for (String path : List.of("transformer.h.0.attn.c_attn", "score", "transformer")) {
            assertEquals(plain.apply(path), dotted.apply(path), path);
        }
        assertEquals("h.0.attn.c_attn", dotted.apply("transformer.h.0.attn.c_attn"));
    }
}
