package dev.peft4j.bench;

import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Counts the NDArrays that some work creates under a manager, and the peak bytes that the arrays
 * under it hold meanwhile. DJL has no operation counter, but nearly every native tensor operation
 * returns a new NDArray, so the arrays created count the operations that Java issues; in-place
 * updates (the optimizer's) and the work inside one native call (the whole backward pass) are
 * not seen.
 *
 * <p>Method: DJL attaches every new NDArray to a manager through {@code
 * BaseNDManager.attachInternal}, which puts it into the manager's protected {@code resources} map.
 * While counting, that map is replaced, in the root manager and in every sub-manager below it
 * (those created meanwhile included), by one that records each array the first time it is
 * attached, and its bytes until it is closed. Arrays created and closed inside the work (an {@code
 * NDScope}'s temporaries) are counted too, which a diff of {@code getManagedArrays()} before and
 * after would miss. The plain maps are put back afterwards. This relies on a DJL implementation
 * detail (checked with DJL 0.35) and is for benchmarks only.
 */
final class ArrayCounter {

    private static final Field RESOURCES = resourcesField();

    /**
     * What some work created.
     *
     * @param arrays the NDArrays created
     * @param peakBytes the most bytes held at once by the arrays under the manager, those that
     *     existed before the work included
     */
    record Usage(int arrays, long peakBytes) {}

    private final Set<NDArray> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Map<NDArray, Long> live = new IdentityHashMap<>();
    private final List<BaseNDManager> hooked = new ArrayList<>();
    private long liveBytes;
    private long peakBytes;
    private int created;

    private ArrayCounter() {}

    /**
     * Runs work and counts what it creates under a manager.
     *
     * @param root the manager; arrays attached to it or to any sub-manager below it count
     * @param work the work
     * @return the arrays created and the peak bytes
     */
    static Usage measure(NDManager root, Runnable work) {
        ArrayCounter counter = new ArrayCounter();
        try {
            synchronized (counter) {
                counter.hook(root);
                counter.created = 0;
                counter.peakBytes = counter.liveBytes;
            }
            work.run();
            synchronized (counter) {
                return new Usage(counter.created, counter.peakBytes);
            }
        } finally {
            counter.unhook();
        }
    }

    private void hook(NDManager manager) {
        if (!(manager instanceof BaseNDManager base)) {
            throw new IllegalStateException(
                    "Cannot count arrays of " + manager.getClass().getName() + ": not a BaseNDManager");
        }
        Map<String, AutoCloseable> existing = resources(base);
        CountingResources counting = new CountingResources(existing);
        for (AutoCloseable resource : existing.values()) {
            attached(resource);
        }
        setResources(base, counting);
        hooked.add(base);
    }

    private synchronized void attached(AutoCloseable resource) {
        if (resource instanceof NDArray array) {
            if (seen.add(array)) {
                created++;
            }
            if (!live.containsKey(array)) {
                long bytes = array.getShape().size() * array.getDataType().getNumOfBytes();
                live.put(array, bytes);
                liveBytes += bytes;
                peakBytes = Math.max(peakBytes, liveBytes);
            }
        } else if (resource instanceof NDManager manager) {
            hook(manager);
        }
    }

    /** A closed array frees its bytes; one that only moves to another manager keeps them. */
    private synchronized void detached(AutoCloseable resource) {
        if (resource instanceof NDArray array && array.isReleased()) {
            Long bytes = live.remove(array);
            if (bytes != null) {
                liveBytes -= bytes;
            }
        }
    }

    private void unhook() {
        for (BaseNDManager manager : hooked) {
            if (manager.isOpen()) {
                setResources(manager, new ConcurrentHashMap<>(resources(manager)));
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, AutoCloseable> resources(BaseNDManager manager) {
        try {
            return (Map<String, AutoCloseable>) RESOURCES.get(manager);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("Cannot read DJL's BaseNDManager.resources", e);
        }
    }

    private static void setResources(BaseNDManager manager, ConcurrentHashMap<String, AutoCloseable> resources) {
        try {
            RESOURCES.set(manager, resources);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("Cannot replace DJL's BaseNDManager.resources", e);
        }
    }

    private static Field resourcesField() {
        try {
            Field field = BaseNDManager.class.getDeclaredField("resources");
            field.setAccessible(true);
            return field;
        } catch (NoSuchFieldException | RuntimeException e) {
            throw new IllegalStateException(
                    "Counting arrays needs DJL's BaseNDManager.resources (DJL 0.35); this DJL has none", e);
        }
    }

    /** A manager's resource map that reports what is attached to and detached from it. */
    private final class CountingResources extends ConcurrentHashMap<String, AutoCloseable> {

        CountingResources(Map<String, AutoCloseable> existing) {
            super.putAll(existing);
        }

        @Override
        public AutoCloseable put(String key, AutoCloseable value) {
            attached(value);
            return super.put(key, value);
        }

        @Override
        public AutoCloseable remove(Object key) {
            AutoCloseable removed = super.remove(key);
            if (removed != null) {
                detached(removed);
            }
            return removed;
        }

        @Override
        public void clear() {
            values().forEach(ArrayCounter.this::detached);
            super.clear();
        }
    }
}
