#!/usr/bin/python3
"""The hand-written baseline ProcessBench compares Osprey with: a confluent-kafka + PyTorch loop.

usage: python_loop.py BOOTSTRAP TOPIC_PREFIX

Reads raw 28x28 images from PREFIX+images (read_committed), runs one forward pass of a
784-400-200-100-10 MLP per poll of up to 4,096 records, and writes one JSON prediction per image to
PREFIX+predictions (key and timestamp of the input) in one transaction per poll, with the consumed
offsets committed in it (send_offsets_to_transaction): exactly-once, as Osprey's default.
The MLP has random weights of the Osprey MLP's shape: the bench compares throughput, not accuracy.
One PyTorch thread, as the classifier's default --intra-op-threads 1. Stops when stdin closes.
"""
import json
import sys
import threading

import numpy as np
import torch
from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition

bootstrap, prefix = sys.argv[1], sys.argv[2]
torch.set_num_threads(1)
model = torch.nn.Sequential(
    torch.nn.Linear(784, 400), torch.nn.ReLU(), torch.nn.Linear(400, 200), torch.nn.ReLU(),
    torch.nn.Linear(200, 100), torch.nn.ReLU(), torch.nn.Linear(100, 10)).eval()
consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": prefix + "python-loop",
                     "isolation.level": "read_committed", "enable.auto.commit": False,
                     "auto.offset.reset": "earliest", "fetch.max.bytes": 64 * 1024 * 1024})
producer = Producer({"bootstrap.servers": bootstrap, "transactional.id": prefix + "python-loop",
                     "linger.ms": 5, "compression.type": "lz4"})
producer.init_transactions()
consumer.subscribe([prefix + "images"])
stopping = threading.Event()
threading.Thread(target=lambda: (sys.stdin.read(), stopping.set()), daemon=True).start()
print("ready", flush=True)
while not stopping.is_set():
    msgs = [m for m in consumer.consume(num_messages=4096, timeout=0.1)
            if m.error() is None or m.error().code() != KafkaError._PARTITION_EOF]
    if not msgs:
        continue
    for m in msgs:
        if m.error() is not None:
            raise SystemExit("consume failed: %s" % m.error())
    pixels = np.frombuffer(b"".join(m.value() for m in msgs), dtype=np.uint8).reshape(len(msgs), 784)
    with torch.no_grad():
        probs = torch.softmax(model(torch.from_numpy(pixels).float().div_(255.0)), dim=1)
        confidence, label = probs.max(dim=1)
    producer.begin_transaction()
    for m, c, l in zip(msgs, confidence.tolist(), label.tolist()):
        value = json.dumps({"imageId": m.key().decode(), "label": l, "confidence": round(c, 5),
                            "model": "python-mlp"}).encode()
        producer.produce(prefix + "predictions", value=value, key=m.key(), timestamp=m.timestamp()[1])
    ends = {}
    for m in msgs:
        ends[(m.topic(), m.partition())] = max(ends.get((m.topic(), m.partition()), -1), m.offset() + 1)
    producer.send_offsets_to_transaction([TopicPartition(t, p, o) for (t, p), o in ends.items()],
                                         consumer.consumer_group_metadata())
    producer.commit_transaction()
consumer.close()
