package dev.peft4j.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PairedTimingTest {

    @Test
    void warmsUpThenAlternatesTheOrder() {
        List<String> calls = new ArrayList<>();
        Timing result = PairedTiming.compare(() -> calls.add("a"), () -> calls.add("b"), 2, 0, 4, 4, 60);
        assertEquals(List.of("a", "b", "a", "b", "a", "b", "b", "a", "a", "b", "b", "a"), calls);
        assertEquals(4, result.rounds());
    }

    @Test
    void warmsUpForAtLeastTheWarmupTime() {
        List<String> calls = new ArrayList<>();
        PairedTiming.compare(
                () -> {
                    calls.add("a");
                    sleep(2);
                },
                () -> calls.add("b"),
                1,
                0.05,
                1,
                1,
                60);
        // 50 ms of 2 ms rounds is at least 20 warm-up rounds before the one timed round, against 1 without the time
        long rounds = calls.stream().filter("a"::equals).count();
        assertTrue(rounds >= 21, "warm-up and timed rounds: " + rounds);
    }

    @Test
    void medianOfOddAndEvenCounts() {
        assertEquals(2.0, PairedTiming.median(new double[] {3, 1, 2}));
        assertEquals(2.5, PairedTiming.median(new double[] {4, 1, 3, 2}));
    }

    @Test
    void theBudgetStopsRoundsAfterTheMinimum() {
        Timing result = PairedTiming.compare(() -> sleep(2), () -> {}, 0, 0, 3, 1000, 0.001);
        assertEquals(3, result.rounds());
    }

    @Test
    void roundsMustBePositiveAndOrdered() {
        assertThrows(IllegalArgumentException.class, () -> PairedTiming.compare(() -> {}, () -> {}, 0, 0, 0, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> PairedTiming.compare(() -> {}, () -> {}, 0, 0, 3, 2, 1));
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
