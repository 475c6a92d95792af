# Shortcuts for the usual commands; each calls an npm script, the amss CLI, docker or helm.
# `make help` lists them. See README.md and docs/DEPLOYMENT.md.

IMAGE ?= amss:local
RELEASE ?= amss
NAMESPACE ?= amss
CHART := deploy/helm/amss
COMPOSE ?= docker compose

# Writes a fresh RSA key pair as JWT_PRIVATE_KEY_PEM / JWT_PUBLIC_KEY_PEM lines (newlines as \n).
JWT_KEYS_JS := const k=require("node:crypto").generateKeyPairSync("rsa",{modulusLength:2048});const pem=(o,t)=>o.export({type:t,format:"pem"}).trim().replaceAll("\n","\\n");console.log("JWT_PRIVATE_KEY_PEM="+pem(k.privateKey,"pkcs8")+"\nJWT_PUBLIC_KEY_PEM="+pem(k.publicKey,"spki"))

.DEFAULT_GOAL := help
.PHONY: help install build test test-integration lint format typecheck ci dev run-server run-worker \
	migrate-up migrate-down migrate-status seed env docker-build compose-up compose-down compose-logs \
	compose-seed dev-up dev-down helm-lint helm-template

help: ## this list
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-16s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

install: ## npm ci
	npm ci

build: ## compile TypeScript to dist/
	npm run build

test: ## the test suite (needs PostgreSQL and Redis, see README "Tests")
	npm test

test-integration: test ## the same suite: the integration tests run on the real PostgreSQL and Redis

lint: ## ESLint, Prettier and buf lint
	npm run lint

format: ## Prettier --write
	npm run format

typecheck: ## tsc --noEmit
	npm run typecheck

ci: ## what CI runs (.ci/run)
	bash .ci/run

dev: ## amss dev: server and worker, embedded database, demo data
	npm start

run-server: ## amss server (DB_URL, REDIS_ADDR, JWT keys from the environment)
	npm run amss -- server

run-worker: ## amss worker
	npm run amss -- worker

migrate-up: ## apply pending migrations (DB_URL)
	npm run migrate -- up

migrate-down: ## revert the latest migration
	npm run migrate -- down

migrate-status: ## list migrations and whether each is applied
	npm run migrate -- status

seed: ## create the demo organization and its users (not in production)
	npm run seed

env: .env ## write .env with a fresh JWT key pair (kept if it exists)

.env:
	node -e '$(JWT_KEYS_JS)' >> .env
	@echo "wrote JWT_PRIVATE_KEY_PEM and JWT_PUBLIC_KEY_PEM to .env"

docker-build: ## build the image (IMAGE=amss:local)
	docker build -t $(IMAGE) .

compose-up: .env ## start everything with docker compose (builds the image)
	AMSS_IMAGE=$(IMAGE) $(COMPOSE) up -d --build

compose-down: ## stop the compose stack (volumes kept; `docker compose down -v` drops them)
	$(COMPOSE) down

compose-logs: ## follow the server and worker logs
	$(COMPOSE) logs -f server worker

compose-seed: ## demo data in the compose stack's database
	$(COMPOSE) --profile demo run --rm seed

dev-up: compose-up ## the specification's name for compose-up

dev-down: compose-down ## the specification's name for compose-down

helm-lint: ## helm lint the chart with each environment's values
	helm lint $(CHART)
	helm lint $(CHART) -f $(CHART)/values-uat.yaml
	helm lint $(CHART) -f $(CHART)/values-production.yaml

helm-template: ## render the chart with the production values
	helm template $(RELEASE) $(CHART) --namespace $(NAMESPACE) -f $(CHART)/values-production.yaml
