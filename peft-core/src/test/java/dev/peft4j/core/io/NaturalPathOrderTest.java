package dev.peft4j.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class NaturalPathOrderTest {

    @Test
    void numericSegmentsCompareByValueAndTheRestByText() {
        List<String> expected = List.of(
                "lm_head",
                "transformer.h.2.attn.c_attn",
                "transformer.h.2.mlp.c_fc",
                "transformer.h.10.attn.c_attn",
                "transformer.h.10.attn.c_proj",
                "transformer.h.99999999999999999999.attn",
                "transformer.h.x.attn",
                "transformer.wte");
        List<String> shuffled = new ArrayList<>(expected);
        Collections.shuffle(shuffled, new Random(3));
        shuffled.sort(NaturalPathOrder.INSTANCE);
        assertEquals(expected, shuffled);
    }

    @Test
    void aPathComesBeforeTheLongerPathsUnderIt() {
        assertEquals(-1, Integer.signum(NaturalPathOrder.INSTANCE.compare("h.2", "h.2.attn")));
        assertEquals(0, NaturalPathOrder.INSTANCE.compare("h.2", "h.2"));
        assertEquals(
                -1, Integer.signum(NaturalPathOrder.INSTANCE.compare("h.02", "h.2")), "equal values, then by text");
    }
}
