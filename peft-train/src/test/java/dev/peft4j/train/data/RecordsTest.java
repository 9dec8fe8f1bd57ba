package dev.peft4j.train.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RecordsTest {

    @Test
    void trainingExampleValidatesCopiesAndCounts() {
        long[] ids = {1, 2, 3};
        boolean[] trained = {false, true, true};
        TrainingExample example = new TrainingExample(ids, trained);
        ids[0] = 99;
        trained[1] = false;
        assertArrayEquals(new long[] {1, 2, 3}, example.inputIds());
        assertEquals(2, example.trainedTokens());
        assertEquals(new TrainingExample(new long[] {1, 2, 3}, new boolean[] {false, true, true}), example);
        assertEquals(
                new TrainingExample(new long[] {1, 2, 3}, new boolean[] {false, true, true}).hashCode(),
                example.hashCode());
        assertNotEquals(new TrainingExample(new long[] {1, 2, 3}, new boolean[] {false, true, false}), example);
        assertEquals(0, new TrainingExample(new long[] {4}, new boolean[] {false}).trainedTokens());

        assertThrows(IllegalArgumentException.class, () -> new TrainingExample(new long[0], new boolean[0]));
        assertThrows(IllegalArgumentException.class, () -> new TrainingExample(new long[2], new boolean[3]));
        assertThrows(
                IllegalArgumentException.class, () -> new TrainingExample(new long[2], new boolean[] {true, false}));
        assertThrows(NullPointerException.class, () -> new TrainingExample(null, new boolean[1]));
    }

    @Test
    void batchValidates() {
        Batch batch = new Batch(
                new long[] {1, 2, 3, 0}, new long[] {1, 1, 1, 0}, new boolean[] {false, true, false, false}, 2, 2);
        assertEquals(1, batch.trainedTokens());
        assertEquals(3, batch.realTokens());
        assertThrows(IllegalArgumentException.class, () -> new Batch(new long[3], new long[4], new boolean[4], 2, 2));
        assertThrows(IllegalArgumentException.class, () -> new Batch(new long[0], new long[0], new boolean[0], 0, 0));
        assertThrows(
                IllegalArgumentException.class, () -> new Batch(new long[2], new long[] {1, 2}, new boolean[2], 1, 2));
        assertThrows(
                IllegalArgumentException.class,
                () -> new Batch(new long[2], new long[] {1, 0}, new boolean[] {false, true}, 1, 2));
    }

    @Test
    void trainingDataCopiesAndValidates() {
        List<TrainingExample> examples = new ArrayList<>();
        examples.add(new TrainingExample(new long[] {1, 2}, new boolean[] {false, true}));
        TrainingData data = new TrainingData(examples, 1, 1, Path.of("data.jsonl"));
        examples.clear();
        assertEquals(1, data.examples().size());
        assertThrows(UnsupportedOperationException.class, () -> data.examples().clear());
        assertThrows(IllegalArgumentException.class, () -> new TrainingData(List.of(), 1, 0, Path.of("x")));
        assertThrows(IllegalArgumentException.class, () -> new TrainingData(List.of(), 0, -1, Path.of("x")));
        assertThrows(NullPointerException.class, () -> new TrainingData(List.of(), 0, 0, null));
    }
}
