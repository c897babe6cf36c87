# Regenerates fnmatch-cases.tsv: Ruby's own answers for File.fnmatch? with the flags GitLab uses for
# CODEOWNERS (FNM_PATHNAME | FNM_DOTMATCH). The C# port is tested against this table.
#   ruby fnmatch-cases.rb > fnmatch-cases.tsv
# One pattern per line, then one path per line (taken literally).
patterns = <<~'PATTERNS'.lines.map(&:chomp)
  /**/*
  /**/README.md
  /README.md
  /docs/README.md
  /**/internal/README.md
  /docs/**/*
  /docs/*
  /docs/*.md
  /docs/**/*.md
  /db/**/index.md
  /**/*.rb
  /**/docs
  /**/docs/**/*
  /**/ee/docs
  /docs/index.*
  /docs/*spec*
  /docs/*/README.md
  /docs/**/index.md
  /config/**/*.rb
  /**/**/generated/**/*
  /**/.gitlab-ci.yml
  /**/*.tar.gz
  /docs/**
  /**/docs/**
  /**
  /*
  /*.md
  /**/[Ss]pec/**/*
  /**/[!a]*
  /**/[^a]*.rb
  /**/[a-c]*.rb
  /**/[z-a]
  /**/[]]
  /**/[!]
  /**/[abc
  /**/a?c
  /**/?.rb
  /**/\*.rb
  /**/a\/b
  /**/#file_with_pound.rb
  /**/*.{rb,md}
  /**/docs/*.md
  /app/**/models/**
  /**/.*
  /**/.*/**
  /a/**/b/**/c
  /**/a/**/
  /**/*/
  /a//b
  /**/x*y*z
  /**/***
  /***/x
  /**/**/x
  /docs/**/**/*
  /**/FOO.md
  /path with/*.md
  /**/[Section
  /**/***.rb
  /**/path with spaces/**/*
  /**/[a/b]c
  /**/a*
  /a/*/c
  /**/*.r?
PATTERNS
paths = <<~'PATHS'.lines.map(&:chomp)
  /README.md
  /docs/README.md
  /internal/README.md
  /docs/internal/README.md
  /docs/api/internal/README.md
  /app/lib/README.md
  /docs
  /docs/index.md
  /docs/api/index.md
  /docs/api/graphql/index.md
  /docs/index.html
  /docs/qa_specs.rb
  /docs/spec_helpers.rb
  /docs/runtime.spec
  /docs/api/README.md
  /db/index.md
  /db/a/b/index.md
  /config/database.rb
  /app/controllers/users/stars_controller.rb
  /config/a/b.rb
  /generated/x.js
  /a/generated/b/c.js
  /.gitlab-ci.yml
  /sub/.gitlab-ci.yml
  /.gitignore
  /dir/.hidden/file
  /x.tar.gz
  /ee/docs
  /ee/docs/x.md
  /spec/a.rb
  /Spec/b/c.rb
  /abc
  /bcd.rb
  /a.rb
  /ab.rb
  /z
  /a
  /]
  /!
  /x
  /abc.rb
  /aXc
  /a/c
  /b.rb
  /*.rb
  /a/b
  /#file_with_pound.rb
  /dir/#file_with_pound.rb
  /x.{rb,md}
  /app/models/x.rb
  /app/a/models/b/c.rb
  /a/x/b/y/c
  /a/b/c
  /a/b/x
  /a/q/b/w/c
  /foo/x
  /foo/bar/baz
  /xaybzc
  /x/y/z
  /docs/a/b/c.md
  /FOO.md
  /foo.md
  /path with/a.md
  /path with/b/a.md
  /[Section
  /a/[Section
  /path with spaces/x
  /q/path with spaces/y/z
  /ac
  /a/bc
  /bc
  /x.rs
  /x.r
  /a/b/c/d.rb
PATHS
patterns.each do |pattern|
  paths.each do |path|
    result = File.fnmatch?(pattern, path, File::FNM_PATHNAME | File::FNM_DOTMATCH)
    puts [pattern, path, result].join("\t")
  end
end
