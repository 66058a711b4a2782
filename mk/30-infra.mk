# The infrastructure: Terraform formatting, validation, `terraform test` suites with a
# mocked AWS provider, and a real apply/read-back/destroy against moto_server.
# Nothing here needs the C++ build; everything runs offline when the machine has a
# Terraform provider mirror (tools/terraform-cli-config finds it) and moto_server.

INFRA_PACKAGES := jq curl openssl python3 python3-yaml
INFRA_BUILD := $(ROOT)/build/infra
INFRA_SRC := $(INFRA_BUILD)/src/infrastructure
# Terraform reads this CLI configuration, written into the build tree (never the home).
INFRA_TF := TF_CLI_CONFIG_FILE=$(INFRA_BUILD)/terraformrc TF_IN_AUTOMATION=1 TF_INPUT=0 terraform
INFRA_ROOTS := terraform bootstrap
# Consumer root modules of modules/service (beside infrastructure/ in the build tree, so
# that their relative module sources resolve as in the repository).
INFRA_EXAMPLES := own-service

INFRA_DOC_DIRS := $(ROOT)/infrastructure/terraform $(ROOT)/infrastructure/bootstrap $(wildcard $(ROOT)/infrastructure/terraform/modules/*)

.PHONY: infra-tools infra-fmt infra-fmt-check infra-docs infra-plumbing infra-validate infra-unit infra-suites infra-moto test-infra

# terraform is not in Debian: say how to get it instead of skipping anything.
infra-tools: ## check terraform and the aws CLI are installed; write the offline Terraform CLI config
	@$(ENSURE_PACKAGES) $(INFRA_PACKAGES)
	@if ! command -v terraform >/dev/null 2>&1; then \
	  echo "error: terraform (>= 1.7) is not installed, and Debian does not package it." >&2; \
	  echo "       Install HashiCorp's release: its apt repository (package 'terraform') or the" >&2; \
	  echo "       zip for linux from the Terraform downloads page, unpacked onto PATH." >&2; \
	  exit 1; \
	fi
	@if ! command -v aws >/dev/null 2>&1; then $(ENSURE_PACKAGES) awscli; fi
	@$(ROOT)/tools/terraform-cli-config $(INFRA_BUILD)/terraformrc
	@echo "==> $$($(INFRA_TF) version | head -n 1), $$(aws --version 2>&1 | cut -d' ' -f1)"

# A fresh copy of infrastructure/ per run, so Terraform's working files (.terraform,
# lock files) never land in the source tree.
$(INFRA_SRC): FORCE
	@rm -rf $(INFRA_BUILD)/src && mkdir -p $(INFRA_BUILD)/src
	@cp -r $(ROOT)/infrastructure $(ROOT)/examples $(INFRA_BUILD)/src/
	@find $(INFRA_BUILD)/src \( -name .terraform -o -name '.terraform.lock.hcl' -o -name '*.tfstate*' \) -prune -exec rm -rf {} +
.PHONY: FORCE
FORCE:

infra-fmt: infra-tools ## format the Terraform code in place
	@$(INFRA_TF) fmt -recursive $(ROOT)/infrastructure
	@$(INFRA_TF) fmt -recursive $(ROOT)/examples

infra-fmt-check: infra-tools ## terraform fmt check, README tables equal to the code, shellcheck, static checks (backends, .trivyignore.yaml)
	@echo "==> terraform fmt -check, README inputs/outputs tables, shellcheck"
	@$(INFRA_TF) fmt -check -recursive -diff $(ROOT)/infrastructure
	@$(INFRA_TF) fmt -check -recursive -diff $(ROOT)/examples
	@$(ROOT)/tools/terraform-module-docs --check $(INFRA_DOC_DIRS)
	@/usr/bin/python3 $(ROOT)/infrastructure/tests/static-checks $(ROOT)
	@$(ENSURE_PACKAGES) shellcheck
	@shellcheck $(ROOT)/infrastructure/tests/moto-e2e $(ROOT)/infrastructure/tests/timing-messages \
	  $(ROOT)/infrastructure/tests/make-test-infra $(ROOT)/infrastructure/tests/ordering \
	  $(ROOT)/infrastructure/tests/change-matrix \
	  $(ROOT)/tools/terraform-cli-config $(ROOT)/tools/with-moto

infra-plumbing: ## test-infra's own plumbing: validate once, Ctrl-C stops the moto run, tool arguments
	@$(ROOT)/infrastructure/tests/make-test-infra

infra-docs: ## rewrite the inputs/outputs tables of the Terraform READMEs from the code
	@$(ROOT)/tools/terraform-module-docs $(INFRA_DOC_DIRS)

infra-validate: infra-tools $(INFRA_SRC) ## terraform init -backend=false and validate, both roots and the examples
	@for r in $(INFRA_ROOTS); do \
	  echo "==> terraform init and validate: infrastructure/$$r"; \
	  $(INFRA_TF) -chdir=$(INFRA_SRC)/$$r init -backend=false -input=false -no-color >$(INFRA_BUILD)/init-$$r.log \
	    || { cat $(INFRA_BUILD)/init-$$r.log >&2; exit 1; }; \
	  $(INFRA_TF) -chdir=$(INFRA_SRC)/$$r validate -no-color; \
	done
	@for e in $(INFRA_EXAMPLES); do \
	  echo "==> terraform init and validate: examples/$$e"; \
	  $(INFRA_TF) -chdir=$(INFRA_BUILD)/src/examples/$$e init -backend=false -input=false -no-color >$(INFRA_BUILD)/init-example-$$e.log \
	    || { cat $(INFRA_BUILD)/init-example-$$e.log >&2; exit 1; }; \
	  $(INFRA_TF) -chdir=$(INFRA_BUILD)/src/examples/$$e validate -no-color; \
	done

infra-unit: infra-validate ## terraform test suites (mocked AWS provider) and the timing-budget messages
	@$(MAKE) infra-suites

# The suites themselves, on the working directories infra-validate initialised (test-infra
# runs infra-validate once, before the moto run starts, and this beside it).
infra-suites: ## terraform test suites, timing messages and resource order, on the roots infra-validate initialised
	@for r in $(INFRA_ROOTS); do \
	  echo "==> terraform test: infrastructure/$$r"; \
	  $(INFRA_TF) -chdir=$(INFRA_SRC)/$$r test -no-color | grep -v '\.\.\. pass$$'; \
	done
	@for e in $(INFRA_EXAMPLES); do \
	  echo "==> terraform test: examples/$$e"; \
	  $(INFRA_TF) -chdir=$(INFRA_BUILD)/src/examples/$$e test -no-color | grep -v '\.\.\. pass$$'; \
	done
	@echo "==> timing budget: each broken rule names itself"
	@TF_CLI_CONFIG_FILE=$(INFRA_BUILD)/terraformrc $(ROOT)/infrastructure/tests/timing-messages $(INFRA_BUILD)/timing
	@TF_CLI_CONFIG_FILE=$(INFRA_BUILD)/terraformrc $(ROOT)/infrastructure/tests/ordering $(INFRA_SRC)/terraform $(INFRA_BUILD)/ordering

infra-moto: infra-tools ## apply the stack to moto_server, read it back, plan every user setting against it, destroy
	@TF_CLI_CONFIG_FILE=$(INFRA_BUILD)/terraformrc $(ROOT)/tools/with-moto \
	  $(ROOT)/infrastructure/tests/moto-e2e $(INFRA_BUILD)/moto

# What test-infra runs: first the quick checks, then the moto run in the background and the
# terraform test suites beside it. Commands, not targets, so that a test can put its own
# in their place (infrastructure/tests/make-test-infra).
INFRA_FIRST_RUN = $(MAKE) infra-fmt-check infra-plumbing infra-validate
INFRA_MOTO_RUN = $(MAKE) infra-moto
INFRA_SUITES_RUN = $(MAKE) infra-suites

# The moto run spends most of its time waiting for the provider (the ALB alone about a
# minute), so it runs beside the terraform test suites; its log is shown when both end.
# A background job of a non-interactive shell ignores SIGINT, so Ctrl-C alone would leave
# it (and its moto_server and terraform) running: it gets a session of its own, and the
# trap ends that whole session on INT or TERM, or when anything after its start fails.
# (`+`: the recipe runs under make -n too, as a line naming $(MAKE) would, so that a dry
# run shows what the sub-makes would do.)
test-infra: ## the infrastructure's whole suite: fmt, validate, terraform test, moto apply/destroy
	@+start=$$(date +%s); \
	$(INFRA_FIRST_RUN); \
	mkdir -p $(INFRA_BUILD); \
	echo "==> moto apply/read-back/destroy in the background (log: $(INFRA_BUILD)/moto.log)"; \
	setsid $(INFRA_MOTO_RUN) >$(INFRA_BUILD)/moto.log 2>&1 & moto_pid=$$!; \
	stop_moto() { kill -TERM -- -$$moto_pid 2>/dev/null && echo "==> stopped the moto run" >&2; wait $$moto_pid 2>/dev/null; }; \
	trap 'stop_moto; exit 130' INT; trap 'stop_moto; exit 143' TERM; trap 'stop_moto' EXIT; \
	unit_rc=0; $(INFRA_SUITES_RUN) || unit_rc=$$?; \
	unit=$$(date +%s); \
	moto_rc=0; wait $$moto_pid || moto_rc=$$?; \
	trap - EXIT; \
	echo "==> moto run log:"; cat $(INFRA_BUILD)/moto.log; \
	echo "==> test-infra: terraform test suites done after $$((unit - start)) s, all done after $$(( $$(date +%s) - start )) s"; \
	if [ $$unit_rc -ne 0 ] || [ $$moto_rc -ne 0 ]; then \
	  echo "==> test-infra FAILED: terraform test exit $$unit_rc, moto run exit $$moto_rc" >&2; exit 1; \
	fi

TEST_TARGETS += test-infra
