package dev.osprey.ingest;

import java.util.Random;

/**
 * The order in which a source's images are published: in index order, or shuffled anew on each
 * pass with a seeded generator, so the same seed gives the same sequence.
 */
final class IndexOrder {

    private final int size;
    private final Random random;
    private final int[] order;
    private int position;
    private int pass = -1;

    IndexOrder(int size, boolean shuffle, long seed) {
        this.size = size;
        this.random = shuffle ? new Random(seed) : null;
        this.order = new int[size];
        this.position = size;
    }

    /** The next index; after the last one of a pass, a new pass begins. */
    int next() {
        if (position == size) {
            startPass();
        }
        return order[position++];
    }

    /** The pass the last index came from, from 0. */
    int pass() {
        return pass;
    }

    private void startPass() {
        pass++;
        position = 0;
        for (int i = 0; i < size; i++) {
            order[i] = i;
        }
        if (random != null) {
            for (int i = size - 1; i > 0; i--) {
                int j = random.nextInt(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
        }
    }
}
